"""The state of one hypoteky host, read-only, as JSON: the facts and a
readable block of lines (playbooks/status.yml prints the lines).

Argument: a JSON object with the host's groups and the paths to read. Each
source that is absent says so ("not installed", "never run", "never
audited") rather than failing: the report works on any host of any
inventory, whatever phases have run there.
"""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime


def show(unit, *props):
    result = subprocess.run(
        ["systemctl", "show", unit, "--no-pager", *[f"-p{p}" for p in ("LoadState", *props)]],
        capture_output=True, text=True, check=False,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def unit_state(unit):
    props = show(unit, "ActiveState", "SubState", "UnitFileState", "Result")
    if props.get("LoadState") in (None, "not-found"):
        return {"unit": unit, "installed": False, "text": f"{unit} not installed"}
    text = f"{unit} {props['ActiveState']} ({props['SubState']}, {props.get('UnitFileState') or 'static'})"
    if props.get("Result") not in (None, "", "success"):
        text += f", last result {props['Result']}"
    return {"unit": unit, "installed": True, "active": props["ActiveState"], "sub": props["SubState"],
            "enabled": props.get("UnitFileState"), "result": props.get("Result"), "text": text}


def timer_state(unit):
    state = unit_state(unit)
    if state["installed"]:
        props = show(unit, "NextElapseUSecRealtime", "LastTriggerUSec")
        state["next"] = props.get("NextElapseUSecRealtime") or None
        state["last"] = props.get("LastTriggerUSec") or None
        state["text"] += f", next {state['next'] or '-'}"
    return state


def read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"unreadable": f"{type(exc).__name__}: {exc}"}


def release(base_dir):
    current = os.path.join(base_dir, "current")
    if not os.path.islink(current):
        return {"version": None, "text": "no release deployed"}
    version = os.path.basename(os.readlink(current).rstrip("/"))
    manifest = read_json(os.path.join(current, "manifest.json")) or {}
    previous = os.path.join(base_dir, "previous")
    info = {"version": version, "commit": manifest.get("commit"), "built": manifest.get("built_at") or manifest.get("build_time"),
            "previous": os.path.basename(os.readlink(previous).rstrip("/")) if os.path.islink(previous) else None}
    text = version
    if info["commit"]:
        text += f" (commit {str(info['commit'])[:12]})"
    text += f", previous {info['previous'] or 'none'}"
    return {**info, "text": text}


def last_backup(backup_dir):
    manifest = os.path.join(backup_dir, "manifest.jsonl")
    unit = show("hypoteky-db-backup.service", "Result", "ExecMainStatus", "ExecMainExitTimestamp")
    if unit.get("LoadState") in (None, "not-found"):
        job = "hypoteky-db-backup.service not installed"
    elif not unit.get("ExecMainExitTimestamp"):
        job = "scheduled job never run"
    else:
        job = f"scheduled job {unit['Result']} (exit {unit['ExecMainStatus']}) at {unit['ExecMainExitTimestamp']}"
    entry = None
    try:
        with open(manifest, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
        entry = json.loads(lines[-1]) if lines else None
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        return {"text": f"manifest unreadable ({type(exc).__name__}); {job}"}
    if not entry:
        return {"file": None, "text": f"no backup in {manifest}; {job}"}
    text = (f"{os.path.basename(entry['file'])} at {entry['created']} ({entry['bytes'] / 1048576:.1f} MiB, "
            f"{'fully verified' if entry.get('full_verify') else 'verified'}); {job}")
    return {"file": entry["file"], "created": entry["created"], "label": entry.get("label"),
            "full_verify": entry.get("full_verify"), "job": job, "text": text}


def notifications():
    unit = "hypoteky-deadline-notifications.service"
    props = show(unit, "Result", "ExecMainStatus", "ExecMainExitTimestamp")
    if props.get("LoadState") in (None, "not-found"):
        return {"installed": False, "text": "not installed"}
    if not props.get("ExecMainExitTimestamp"):
        return {"installed": True, "last_run": None, "text": "installed, never run"}
    ok = props.get("Result") == "success" and props.get("ExecMainStatus") == "0"
    return {"installed": True, "last_run": props["ExecMainExitTimestamp"], "result": props.get("Result"),
            "exit_status": props.get("ExecMainStatus"),
            "text": f"last run {props['ExecMainExitTimestamp']}: {'success' if ok else 'FAILED'} "
                    f"(result {props.get('Result')}, exit {props.get('ExecMainStatus')})"}


def certificate(path):
    result = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-subject", "-issuer", "-in", path],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return {"path": path, "text": f"{path}: no readable certificate"}
    fields = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    not_after = datetime.strptime(fields["notAfter"], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
    days = int((not_after - datetime.now(UTC)).total_seconds() // 86400)
    issuer = fields.get("issuer", "").strip()
    return {"path": path, "not_after": not_after.isoformat(), "days_left": days, "issuer": issuer,
            "text": f"expires {not_after:%Y-%m-%d %H:%M} UTC ({days} days left), issuer {issuer}"}


def audit(evidence_dir):
    latest = read_json(os.path.join(evidence_dir, "audit", "latest.json"))
    if latest is None:
        return {"result": None, "text": "never audited"}
    if "unreadable" in latest:
        return {"result": None, "text": f"latest.json unreadable ({latest['unreadable']})"}
    return {"result": latest.get("result"), "release": latest.get("release"), "finished_at": latest.get("finished_at"),
            "text": f"{latest.get('result')} for release {latest.get('release')} at {latest.get('finished_at')}"}


def health(state_dir):
    state = read_json(os.path.join(state_dir, "health.json"))
    if state is None:
        return {"status": None, "text": "no probe recorded"}
    text = (f"{state.get('status')}, last success {state.get('last_success') or 'never'}, "
            f"last failure {state.get('last_failure') or 'never'}, "
            f"{state.get('consecutive_failures', 0)} consecutive failure(s)")
    if state.get("status") == "failing":
        text += f": {state.get('last_error')}"
    return {**state, "text": text}


def resources(state_dir):
    state = read_json(os.path.join(state_dir, "resources.json"))
    if state is None:
        return {"status": None, "text": "no check recorded"}
    findings = state.get("findings", [])
    text = f"{state.get('status')} at {state.get('checked_at')}"
    if findings:
        text += ": " + "; ".join(f["message"] for f in findings[:5])
    return {**state, "text": text}


def main():
    config = json.loads(sys.argv[1])
    groups = config["groups"]
    units, timers = [], ["hypoteky-healthcheck.timer", "hypoteky-resource-check.timer"]
    if "app" in groups:
        units += ["hypoteky.socket", "hypoteky.service"]
        timers += ["hypoteky-deadline-notifications.timer"]
    if "web" in groups:
        units += ["nginx.service"]
        timers += ["certbot.timer"]
    if "db" in groups:
        units += ["mariadb.service"]
        timers += ["hypoteky-db-backup.timer"]
    report = {
        "host": config["host"],
        "groups": groups,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "release": release(config["base_dir"]) if "app" in groups else {"text": "not an app host"},
        "services": [unit_state(u) for u in units],
        "timers": [timer_state(t) for t in timers],
        "backup": last_backup(config["backup_dir"]) if "db" in groups else {"text": "not a db host"},
        "notifications": notifications() if "app" in groups else {"text": "not an app host"},
        "certificate": certificate(config["cert_file"]) if "web" in groups else {"text": "not a web host"},
        "audit": audit(config["evidence_dir"]),
        "health": health(config["state_dir"]),
        "resources": resources(config["state_dir"]),
    }
    width = 15
    lines = [
        f"{'host':<{width}}{config['host']} ({', '.join(groups)}) at {report['checked_at']}",
        f"{'release':<{width}}{report['release']['text']}",
    ]
    lines += [f"{'service' if i == 0 else '':<{width}}{s['text']}" for i, s in enumerate(report["services"])]
    lines += [f"{'timer' if i == 0 else '':<{width}}{t['text']}" for i, t in enumerate(report["timers"])]
    lines += [
        f"{'last backup':<{width}}{report['backup']['text']}",
        f"{'notifications':<{width}}{report['notifications']['text']}",
        f"{'certificate':<{width}}{report['certificate']['text']}",
        f"{'last audit':<{width}}{report['audit']['text']}",
        f"{'health':<{width}}{report['health']['text']}",
        f"{'resources':<{width}}{report['resources']['text']}",
    ]
    report["lines"] = lines
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
