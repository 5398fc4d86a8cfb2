"""A release's life on a converged host, in order: a new release goes live
under load without a failed request; a release that is not ready is switched
back and the play fails saying so; rollback.yml returns to the one before.
The file sorts before the other state-changing tests and leaves the host as
converge left it (the newest release serving, ready)."""

import json
import re
import time
from pathlib import Path

from hosts import run_playbook

ROOT = Path(__file__).resolve().parents[3]
SOCKET = "/run/hypoteky/gunicorn.sock"
LOADGEN = "/usr/local/lib/hypoteky-test-loadgen.py"
STOP = "/run/hypoteky-loadgen.stop"
RESULT = "/run/hypoteky-loadgen.json"
# A wrong but well-formed Fernet key: the app cannot decrypt its canary with it.
WRONG_KEY = "q3vJ0Xv9m7mK2yq1zXfK2f3n9Q0d8c7b6a5Z4Y3X2W0="
# A wrong password for the app's database account (the migration account's is right).
WRONG_DB_PASSWORD = "not-the-app-accounts-password"


def playbook(name, *extra):
    started = time.monotonic()
    proc = run_playbook(name, *extra)
    print(f"{name} {' '.join(extra)}: exit {proc.returncode} in {time.monotonic() - started:.0f} s")
    return proc


def current_release(host):
    return Path(host.file("/srv/hypoteky/current").linked_to).name


def readyz(host):
    with host.sudo():
        return host.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' --unix-socket {SOCKET} http://localhost/readyz"
        )


def built_release(output):
    """The release 01-build.yml reports having built (or found built)."""
    return re.search(r"Release (\S+) \(commit [0-9a-f]+\) is in ", output).group(1)


def commit_before(release):
    """The ref of the app commit before the one a release was built from."""
    return release.rsplit("-", 1)[1] + "~1"


def test_new_release_goes_live_under_load_without_a_failed_request(host):
    before = current_release(host)
    # Not the default release: the checked-out commit stays that (other scenarios may be deploying it).
    build = playbook(
        "01-build.yml",
        "-e",
        f"hypoteky_build_ref={commit_before(before)}",
        "-e",
        "hypoteky_build_run_app_tests=false",
        "-e",
        "hypoteky_build_point_latest=false",
    )
    assert build.returncode == 0, build.stdout[-3000:]
    other = built_release(build.stdout)
    assert other != before
    with host.sudo():
        host.ansible(
            "copy", f"src={Path(__file__).parent / 'loadgen.py'} dest={LOADGEN} mode=0755", check=False, become=True
        )
        host.run(f"rm -f {STOP} {RESULT}")
        # 10 clients, at most 240 s and 200,000 requests.
        host.run(
            f"nohup python3 {LOADGEN} {SOCKET} {STOP} {RESULT} hypoteky.molecule.test 10 240 200000 >/dev/null 2>&1 &"
        )
    time.sleep(3)
    deploy = playbook("06-app.yml", "-e", f"crm_app_release={other}")
    time.sleep(3)
    with host.sudo():
        host.run(f"touch {STOP}")
        for _ in range(60):
            if host.file(RESULT).exists:
                break
            time.sleep(1)
        result = json.loads(host.file(RESULT).content_string)
        host.run(f"rm -f {STOP} {RESULT} {LOADGEN}")
    print(f"load during the deploy of {other}: {result}")
    assert deploy.returncode == 0, deploy.stdout[-3000:]
    assert current_release(host) == other
    assert result["requests"] > 100
    assert result["failed"] == 0, result


def env_checksum(host):
    with host.sudo():
        return host.file("/etc/hypoteky/hypoteky.env").sha256sum


def test_wrong_encryption_key_is_refused_before_the_switch(host):
    serving = current_release(host)
    target = Path(host.file("/srv/hypoteky/previous").linked_to).name
    env_before = env_checksum(host)
    deploy = playbook(
        "06-app.yml",
        "-e",
        f"crm_app_release={target}",
        "-e",
        json.dumps({"crm_app_field_encryption_keys": [WRONG_KEY]}),
    )
    assert deploy.returncode != 0
    assert f"`migrate --check` could not run for release {target}" in deploy.stdout
    assert current_release(host) == serving
    assert env_checksum(host) == env_before
    assert readyz(host) == "200"
    assert WRONG_KEY not in deploy.stdout


def test_release_that_is_not_ready_is_switched_back_and_the_play_fails(host):
    serving = current_release(host)
    target = Path(host.file("/srv/hypoteky/previous").linked_to).name
    assert target != serving
    env_before = env_checksum(host)
    deploy = playbook(
        "06-app.yml",
        "-e",
        f"crm_app_release={target}",
        "-e",
        json.dumps({"crm_app_db_password": WRONG_DB_PASSWORD, "crm_app_ready_timeout": 20}),
    )
    assert deploy.returncode != 0
    assert f"Release {target} failed its health gate" in deploy.stdout
    assert f"`current` went back to {serving}" in deploy.stdout
    assert "it is ready again" in deploy.stdout
    assert current_release(host) == serving
    assert Path(host.file("/srv/hypoteky/previous").linked_to).name == target
    assert readyz(host) == "200"
    assert env_checksum(host) == env_before
    assert WRONG_DB_PASSWORD not in deploy.stdout
    with host.sudo():
        assert host.check_output("find /etc/hypoteky -name 'hypoteky.env.*'") == ""


def test_rollback_playbook_returns_to_the_previous_release(host):
    serving = current_release(host)
    previous = Path(host.file("/srv/hypoteky/previous").linked_to).name
    assert previous != serving
    rollback = playbook("rollback.yml")
    assert rollback.returncode == 0, rollback.stdout[-3000:]
    assert current_release(host) == previous
    assert Path(host.file("/srv/hypoteky/previous").linked_to).name == serving
    assert readyz(host) == "200"
