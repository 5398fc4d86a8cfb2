"""Phase 9's pilot: the converge's load test left a passing report per
endpoint on the host and the controller, seeded exactly the missing demo
cases, revoked its credentials, and the phase fails naming the endpoint
that misses a threshold, and refuses production."""

import json
from pathlib import Path

from hosts import root_sql, run_playbook

testinfra_hosts = ["default-1"]

ROOT = Path(__file__).resolve().parents[3]
ENDPOINTS = ["list", "detail", "api"]
REPORT = "/var/lib/hypoteky/evidence/pilot/latest.json"


def host_report(host):
    with host.sudo():
        return json.loads(host.check_output(f"cat {REPORT}"))


def pilot_cases(host):
    return host.ansible.get_variables()["pilot_cases"]


def live_pilot_tokens(host):
    return int(
        root_sql(
            host,
            "SELECT COUNT(*) FROM klienti_apitoken WHERE name LIKE 'pilot load test %' AND revoked_at IS NULL",
        ).strip()
    )


def test_pilot_report_on_the_host_passes_for_every_endpoint(host):
    report = host_report(host)
    assert report["result"] == "pass", report["failures"]
    assert [e["name"] for e in report["endpoints"]] == ENDPOINTS
    for endpoint in report["endpoints"]:
        assert endpoint["requests"] > 0
        assert endpoint["errors"] == 0
        assert endpoint["ok"] == endpoint["requests"]
        assert 0 < endpoint["p50_ms"] <= endpoint["p95_ms"] <= endpoint["p99_ms"] <= endpoint["max_ms"]
        assert endpoint["p95_ms"] <= report["thresholds"]["max_p95_ms"]
    detail = report["endpoints"][1]
    assert detail["paths"] > 1, "the detail load should go through many cases"
    assert report["context"]["cases"] >= pilot_cases(host)
    assert report["target"]["domain"] == host.ansible.get_variables()["hypoteky_domain"]
    assert len(report["load_average_before"]) == 3
    with host.sudo():
        latest = host.file(REPORT)
        assert (latest.user, latest.group, latest.mode) == ("root", "root", 0o640)


def test_pilot_report_is_on_the_controller_as_json_and_markdown(host):
    reports = sorted((ROOT / "evidence" / "test" / "pilot").glob("*-default-1.json"))
    assert reports, "no pilot report on the controller"
    newest = json.loads(reports[-1].read_text())
    assert newest["started_at"] == host_report(host)["started_at"]
    markdown = reports[-1].with_suffix(".md").read_text()
    for endpoint in newest["endpoints"]:
        assert f"| {endpoint['name']} | `{endpoint['example_path']}" in markdown
        assert f"| {endpoint['requests']} | {endpoint['rps']}" in markdown


def test_seeding_added_exactly_the_missing_demo_cases(host):
    demo_cases = root_sql(
        host,
        "SELECT COUNT(*) FROM klienti_klient k JOIN auth_user u ON u.id = k.adviser_id "
        "WHERE u.username REGEXP '^poradce[0-9]+$'",
    )
    assert int(demo_cases) == pilot_cases(host)


def test_pilot_gave_demo_users_no_password_and_revoked_its_credentials(host):
    password = root_sql(host, "SELECT password FROM auth_user WHERE username = 'poradce01'").strip()
    assert password.startswith("!"), "seeding must not invent a password for the demo users"
    issued = root_sql(host, "SELECT COUNT(*) FROM klienti_apitoken WHERE name LIKE 'pilot load test %'")
    assert int(issued) >= 1, "the pilot issued no API token"
    assert live_pilot_tokens(host) == 0


def test_pilot_fails_naming_the_endpoint_under_its_floor(host):
    result = run_playbook("09-pilot.yml", "-e", "pilot_duration=2", "-e", '{"pilot_min_rps": {"detail": 1000000}}')
    assert result.returncode != 0
    assert "The pilot against default-1 failed its thresholds: detail:" in result.stdout
    assert "requests/s < 1000000" in result.stdout
    report = host_report(host)
    assert report["result"] == "fail"
    assert any(f.startswith("detail: ") and "requests/s < 1000000" in f for f in report["failures"])
    assert not any("requests/s <" in f for f in report["failures"] if not f.startswith("detail: "))
    assert live_pilot_tokens(host) == 0, "credentials must be revoked when the pilot fails"


def test_pilot_refuses_production_unless_allowed(host):
    before = host_report(host)["started_at"]
    result = run_playbook("09-pilot.yml", "-e", "hypoteky_environment=production")
    assert result.returncode != 0
    assert "Refusing the pilot in production" in result.stdout
    assert host_report(host)["started_at"] == before, "a refused pilot must send no load"
