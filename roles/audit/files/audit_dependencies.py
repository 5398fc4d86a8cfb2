#!/usr/bin/env python3
"""The security audit's dependency checks, run on the controller.

Reads a release's requirements.txt (name==version --hash=...) on stdin and
prints a JSON list of two checks:
- deps-cve: pip-audit --strict over the pins; a look-up that fails is
  not_run, never pass (pip-audit without --strict reports success then).
- deps-newest-patch: every pin is the newest release of its major.minor
  series on the package index; not_run when the index cannot be asked.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check(check_id, title, result, evidence):
    return {"id": check_id, "title": title, "result": result, "evidence": evidence, "checked_at": now()}


def read_pins(text, exclude):
    pins, lines = {}, []
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if not match or canonicalize_name(match.group(1)) in exclude:
            continue
        pins[canonicalize_name(match.group(1))] = match.group(2)
        lines.append(line.strip())
    return pins, lines


def audit_cves(pip_audit, lines):
    title = "No known vulnerability in the release's pinned dependencies (pip-audit --strict)"
    if not Path(pip_audit).exists():
        return check("deps-cve", title, "not_run", f"pip-audit is not installed on the controller ({pip_audit})")
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.run(
            [
                pip_audit,
                "--strict",
                "--disable-pip",
                "--requirement",
                str(requirements),
                "--format",
                "json",
                "--progress-spinner",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line or "error" in line]
        reason = errors[-1] if errors else f"exit {proc.returncode} without a report"
        return check(
            "deps-cve",
            title,
            "not_run",
            f"pip-audit --strict could not audit the {len(lines)} pins: {reason.strip()[:300]}",
        )
    vulnerable = [
        f"{dep['name']} {dep['version']}: {', '.join(v['id'] for v in dep.get('vulns', []))}"
        for dep in report.get("dependencies", [])
        if dep.get("vulns")
    ]
    if vulnerable:
        return check("deps-cve", title, "fail", f"{len(vulnerable)} vulnerable pins: {'; '.join(vulnerable)}")
    if proc.returncode != 0:
        return check("deps-cve", title, "not_run", f"pip-audit exited {proc.returncode} without findings")
    audited = len(report.get("dependencies", []))
    return check("deps-cve", title, "pass", f"pip-audit --strict audited {audited} pins: no known vulnerability")


def index_versions(index_url, name, cache_dir, max_age):
    cache = cache_dir / f"{name}.json"
    if cache.exists() and time.time() - cache.stat().st_mtime < max_age:
        return json.loads(cache.read_text(encoding="utf-8"))
    request = urllib.request.Request(f"{index_url.rstrip('/')}/{name}/", headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=20) as response:
        data = json.load(response)
    yanked = {}
    for item in data.get("files", []):
        version = _file_version(item["filename"])
        if version:
            yanked.setdefault(version, []).append(bool(item.get("yanked")))
    # A version whose every file was yanked does not count as released.
    versions = [v for v in data.get("versions", []) if not all(yanked.get(_parse(v), [False]))]
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(versions), encoding="utf-8")
    return versions


def newest_patches(pins, index_url, cache_dir, max_age):
    title = "Every pin is the newest patch release of its series"
    behind, failed = [], []
    for name, pinned in sorted(pins.items()):
        try:
            current = Version(pinned)
            versions = index_versions(index_url, name, cache_dir, max_age)
        except (urllib.error.URLError, OSError, ValueError, InvalidVersion) as exc:
            failed.append(f"{name} ({type(exc).__name__})")
            continue
        series = [
            v
            for v in (_parse(s) for s in versions)
            if v is not None and not v.is_prerelease and v.release[:2] == current.release[:2]
        ]
        newest = max(series, default=current)
        if newest > current:
            behind.append(f"{name} {pinned} < {newest}")
    if failed:
        return check(
            "deps-newest-patch",
            title,
            "not_run",
            f"the package index ({index_url}) could not be asked about {len(failed)} of "
            f"{len(pins)} pins: {', '.join(failed[:10])}",
        )
    if behind:
        return check(
            "deps-newest-patch",
            title,
            "fail",
            f"{len(behind)} of {len(pins)} pins have a newer patch release: {'; '.join(behind)}",
        )
    return check(
        "deps-newest-patch",
        title,
        "pass",
        f"all {len(pins)} pins are the newest release of their series on {index_url}",
    )


def _file_version(filename):
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _parse(text):
    try:
        return Version(text)
    except InvalidVersion:
        return None


def configured_index_url():
    """The index this controller's pip installs from: its configuration, else pip's own default."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    configured = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
    )
    if configured.returncode == 0 and configured.stdout.strip():
        return configured.stdout.strip()
    from pip._internal.models.index import PyPI  # pip's built-in default, named nowhere else

    return PyPI.simple_url


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pip-audit", required=True)
    parser.add_argument("--index-url", default="", help='"" = the index pip is configured to use')
    parser.add_argument("--cache-dir", required=True, type=Path)
    parser.add_argument("--max-age", type=int, default=3600, help="seconds an index answer is reused")
    parser.add_argument("--exclude", action="append", default=[], help="the app's own packages")
    args = parser.parse_args()
    args.index_url = args.index_url or configured_index_url()
    pins, lines = read_pins(sys.stdin.read(), {canonicalize_name(n) for n in args.exclude})
    if not pins:
        missing = "no pinned requirement (name==version) was read"
        checks = [
            check("deps-cve", "CVE audit", "not_run", missing),
            check("deps-newest-patch", "Newest patch releases", "not_run", missing),
        ]
    else:
        checks = [audit_cves(args.pip_audit, lines), newest_patches(pins, args.index_url, args.cache_dir, args.max_age)]
    json.dump(checks, sys.stdout)


if __name__ == "__main__":
    main()
