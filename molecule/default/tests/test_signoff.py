"""Phase 8's final verification: a sign-off per host, saved on the host and
on the controller, that fails and names the check when the release's files
no longer match the artefact."""

import json
from pathlib import Path

import pytest
from hosts import run_playbook

testinfra_hosts = ["default-1"]

ROOT = Path(__file__).resolve().parents[3]
CHECKS = {
    "migrations_applied",
    "release_files_match_artefact",
    "artefact_matches_build",
    "admin_login_form",
    "api_json_for_token",
    "services_active",
}


def signoff(host):
    with host.sudo():
        return json.loads(host.check_output("cat /var/lib/hypoteky/evidence/signoff/latest.json"))


def test_signoff_passed_with_every_check(host):
    record = signoff(host)
    assert record["result"] == "pass"
    assert set(record["checks"]) == CHECKS
    assert all(check["ok"] for check in record["checks"].values())
    assert record["release"] == host.file("/srv/hypoteky/current").linked_to.rsplit("/", 1)[1]
    services = record["checks"]["services_active"]["detail"]
    for unit in ("mariadb.service", "hypoteky.service", "nginx.service", "certbot.timer"):
        assert f"{unit}=active" in services


def test_signoff_is_readable_by_root_only_and_fetched_to_the_controller(host):
    with host.sudo():
        latest = host.file("/var/lib/hypoteky/evidence/signoff/latest.json")
        assert latest.user == "root"
        assert latest.mode == 0o640
    fetched = sorted((ROOT / "evidence" / "test" / "default-1" / "signoff").glob("*.json"))
    assert fetched, "no sign-off on the controller"
    assert json.loads(fetched[-1].read_text())["result"] == "pass"


@pytest.fixture
def tampered_release(host):
    target = "/srv/hypoteky/current/requirements.txt"
    with host.sudo():
        original = host.check_output(f"sha256sum {target}")
        host.check_output(f"cp -a {target} /root/requirements.txt.orig && echo '# changed on the host' >> {target}")
    yield
    with host.sudo():
        host.check_output(f"cp -a /root/requirements.txt.orig {target}")
        assert host.check_output(f"sha256sum {target}") == original
    # The sign-off on record is a passing one again, for whoever looks next.
    assert run_playbook("08-verify.yml").returncode == 0


def test_signoff_fails_naming_a_release_file_changed_on_the_host(host, tampered_release):
    result = run_playbook("08-verify.yml")
    assert result.returncode != 0
    assert "Final verification failed on default-1: release_files_match_artefact" in result.stdout
    assert "requirements.txt: FAILED" in result.stdout
    assert signoff(host)["result"] == "fail"
