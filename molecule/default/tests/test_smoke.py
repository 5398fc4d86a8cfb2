"""Phase 3's smoke tests through nginx: they pass on the converged site,
leave no working credential behind, and fail, naming what failed, when the
app does not answer."""

import json

import pytest
from hosts import root_sql, run_playbook

testinfra_hosts = ["default-1"]


def live_smoke_tokens(host):
    return int(
        root_sql(
            host,
            "SELECT COUNT(*) FROM klienti_apitoken t JOIN auth_user u ON u.id = t.user_id "
            "WHERE u.username = 'hypoteky-smoke' AND t.revoked_at IS NULL",
        ).strip()
    )


def test_converge_recorded_passing_smoke_tests(host):
    with host.sudo():
        record = host.file("/var/lib/hypoteky/evidence/smoke/latest.json")
        assert record.user == "root"
        assert record.mode == 0o640
        result = json.loads(host.check_output("cat /var/lib/hypoteky/evidence/smoke/latest.json"))
    assert result["result"] == "pass"
    assert result["checks"] == {"login_page": True, "authenticated_page": True, "api": True}
    assert result["release"] == host.file("/srv/hypoteky/current").linked_to.rsplit("/", 1)[1]


def test_smoke_credentials_are_revoked_after_the_run(host):
    tokens = int(
        root_sql(
            host,
            "SELECT COUNT(*) FROM klienti_apitoken t JOIN auth_user u ON u.id = t.user_id "
            "WHERE u.username = 'hypoteky-smoke'",
        ).strip()
    )
    assert tokens >= 1, "the smoke tests issued no token"
    assert live_smoke_tokens(host) == 0


def test_smoke_account_has_no_usable_password(host):
    password = root_sql(host, "SELECT password FROM auth_user WHERE username = 'hypoteky-smoke'").strip()
    assert password.startswith("!"), "Django marks an unusable password with a leading '!'"


def test_hypoteky_manage_runs_commands_as_the_app_user(host):
    with host.sudo():
        # The last line: Django's shell first says how many objects it imported.
        out = host.check_output("hypoteky-manage shell -c 'import os; print(os.getuid(), os.getcwd())'")
    out = out.splitlines()[-1]
    uid = host.user("hypoteky").uid
    assert out.split() == [str(uid), host.file("/srv/hypoteky/current").linked_to]
    refused = host.run("/usr/local/sbin/hypoteky-manage check")
    assert refused.rc == 2
    assert "run it as root" in refused.stderr


@pytest.fixture
def app_stopped(host):
    with host.sudo():
        host.check_output("systemctl stop hypoteky.socket hypoteky.service")
    yield
    with host.sudo():
        host.check_output("systemctl start hypoteky.socket hypoteky.service")
    # Once the app is back the smoke tests pass again, and the record says so.
    assert run_playbook("03-tests.yml").returncode == 0


def test_smoke_tests_fail_and_name_what_failed_when_the_app_is_down(host, app_stopped):
    result = run_playbook("03-tests.yml")
    assert result.returncode != 0
    assert "Smoke tests through default-1's nginx failed: login_page, authenticated_page, api" in result.stdout
    assert live_smoke_tokens(host) == 0, "credentials must be revoked when the smoke tests fail"
