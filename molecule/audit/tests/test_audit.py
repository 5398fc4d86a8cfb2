"""Phase 4's security audit: on the good deployment every check passes (the
CVE look-up and pebble's chain are waived, with expiry dates), the reports
are on the host and on the controller and hold no secret; a deliberately
weakened deployment fails the phase with each weakness a failing check; an
expired waiver waives nothing."""

import json
from pathlib import Path

import pytest
from hosts import root_sql, run_playbook

testinfra_hosts = ["audit-1"]

ROOT = Path(__file__).resolve().parents[3]
EVIDENCE = "/var/lib/hypoteky/evidence/audit"
ENV_FILE = "/etc/hypoteky/hypoteky.env"
CONTROLLER = ROOT / "evidence" / "test" / "audit-1" / "audit"
CHECK_IDS = [
    "django-check-deploy",
    "encryption-at-rest",
    "encryption-canary",
    "pii-audit-trail",
    "pii-notification-log",
    "gdpr-export",
    "gdpr-erasure",
    "deps-cve",
    "deps-newest-patch",
    "db-anonymous-users",
    "db-remote-root",
    "db-test-database",
    "db-app-privileges",
    "db-migrate-privileges",
    "tls-protocols",
    "tls-certificate",
    "tls-chain",
    "http-security-headers",
    "gdpr-anonymous-refused",
    "ssh-password-login",
    "files-keys",
    "services-not-root",
    "files-env-file",
    "files-release-world-writable",
]
WAIVED = {"deps-cve": "not_run", "tls-chain": "fail"}


def latest(host):
    with host.sudo():
        return json.loads(host.file(f"{EVIDENCE}/latest.json").content_string)


def by_id(report):
    return {check["id"]: check for check in report["checks"]}


def sudo(host, command):
    with host.sudo():
        return host.check_output(command)


def test_good_deployment_passes_every_check(host):
    report = latest(host)
    assert report["result"] == "pass"
    assert report["host"] == "audit-1"
    assert report["release"] == Path(host.file("/srv/hypoteky/current").linked_to).name
    assert report["finished_at"] >= report["started_at"]
    assert sorted(c["id"] for c in report["checks"]) == sorted(CHECK_IDS)
    for check in report["checks"]:
        assert check["release"] == report["release"]
        assert check["evidence"]
        assert check["checked_at"]
        if check["id"] in WAIVED:
            assert check["result"] == "waived", check
            assert check["waived_result"] == WAIVED[check["id"]]
            assert not check["waiver"]["expired"]
        else:
            assert check["result"] == "pass", check
    assert report["failing"] == []


def test_checks_looked_at_real_data(host):
    checks = by_id(latest(host))
    assert "12 cases" in checks["encryption-at-rest"]["evidence"]
    assert "another adviser GET export: 404" in checks["gdpr-export"]["evidence"]
    assert "TLSv1 refused" in checks["tls-protocols"]["evidence"]
    assert "TLSv1.3 accepted" in checks["tls-protocols"]["evidence"]
    assert "hypoteky.molecule.test" in checks["tls-certificate"]["evidence"]
    assert "could not audit" in checks["deps-cve"]["evidence"]
    assert "hypoteky@localhost: DELETE, INSERT, SELECT, UPDATE on hypoteky.*" in checks["db-app-privileges"]["evidence"]


def test_reports_are_root_only_and_latest_points_at_the_newest(host):
    with host.sudo():
        runs = sorted(name for name in host.file(EVIDENCE).listdir() if name.endswith("Z"))
        assert host.file(f"{EVIDENCE}/latest.json").linked_to == f"{EVIDENCE}/{runs[-1]}/report.json"
        assert host.file(f"{EVIDENCE}/latest.md").linked_to == f"{EVIDENCE}/{runs[-1]}/report.md"
        for path in (EVIDENCE, f"{EVIDENCE}/{runs[-1]}"):
            assert (host.file(path).user, host.file(path).mode) == ("root", 0o750)
        for name in ("report.json", "report.md"):
            report = host.file(f"{EVIDENCE}/{runs[-1]}/{name}")
            assert (report.user, report.group, report.mode) == ("root", "root", 0o640)


def test_reports_are_copied_to_the_controller(host):
    report = latest(host)
    copy = json.loads((CONTROLLER / "latest.json").read_text())
    assert copy == report
    markdown = (CONTROLLER / "latest.md").read_text()
    assert markdown.startswith("# Security audit: audit-1 (test)")
    assert "**PASS**" in markdown
    for check_id in CHECK_IDS:
        assert f"`{check_id}`" in markdown


def test_reports_hold_no_secret(host):
    with host.sudo():
        env = host.file(ENV_FILE).content_string
        runs = host.file(EVIDENCE).listdir()
        reports = "".join(
            host.file(f"{EVIDENCE}/{run}/{name}").content_string
            for run in runs
            if run.endswith("Z")
            for name in ("report.json", "report.md")
        )
    secrets = {}
    for line in env.splitlines():
        name, _, value = line.partition("=")
        if name in ("HYPOTEKY_SECRET_KEY", "HYPOTEKY_BLIND_INDEX_KEY", "HYPOTEKY_DB_PASSWORD"):
            secrets[name] = value.strip('"')
        if name == "HYPOTEKY_FIELD_ENCRYPTION_KEYS":
            for number, key in enumerate(value.strip('"').split(",")):
                secrets[f"{name}[{number}]"] = key
    assert len(secrets) >= 4
    assert all(len(value) >= 16 for value in secrets.values())
    leaked = [name for name, value in secrets.items() if value in reports]
    assert leaked == []


def test_check_mode_runs_the_checks_but_writes_no_report(host):
    before = sudo(host, f"ls -l {EVIDENCE}")
    result = run_playbook("04-audit.yml", "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Security audit of audit-1" in result.stdout
    assert sudo(host, f"ls -l {EVIDENCE}") == before


@pytest.fixture
def weakened(host):
    """DEBUG on, a world-readable env file, an anonymous MariaDB account, a test
    database, an extra privilege, a world-writable file in the release, a
    plaintext personal value (also in the audit trail), SSH passwords on."""
    release = host.file("/srv/hypoteky/current").linked_to
    case_id, city = root_sql(host, "SELECT id, city FROM klienti_klient ORDER BY id LIMIT 1").split("\t")
    sudo(host, f"cp -p {ENV_FILE} /root/hypoteky.env.audit-test")
    try:
        sudo(host, f"sed -i 's/^HYPOTEKY_DEBUG=.*/HYPOTEKY_DEBUG=\"true\"/' {ENV_FILE}")
        sudo(host, f"chmod 0644 {ENV_FILE}")
        root_sql(host, "CREATE USER ''@'localhost'", database="mysql")
        root_sql(host, "CREATE DATABASE test", database="mysql")
        root_sql(host, "GRANT CREATE ON hypoteky.* TO 'hypoteky'@'localhost'", database="mysql")
        sudo(host, f"chmod o+w {release}/manifest.json")
        root_sql(host, f"UPDATE klienti_klient SET city = 'Plaintext Town' WHERE id = {case_id}")
        root_sql(
            host,
            "INSERT INTO klienti_auditentry (created_at, actor_username, klient_id, action, fields) "
            f"VALUES (NOW(), 'audit-test', {case_id}, 'updated', '[\"Plaintext Town\"]')",
        )
        sudo(host, "sh -c 'echo PasswordAuthentication yes > /etc/ssh/sshd_config.d/00-audit-test.conf'")
        yield case_id
    finally:
        sudo(host, f"cp -p /root/hypoteky.env.audit-test {ENV_FILE}")
        sudo(host, f"chmod 0640 {ENV_FILE}")
        sudo(host, "rm -f /etc/ssh/sshd_config.d/00-audit-test.conf /root/hypoteky.env.audit-test")
        sudo(host, f"chmod o-w {release}/manifest.json")
        root_sql(host, "DROP USER IF EXISTS ''@'localhost'", database="mysql")
        root_sql(host, "DROP DATABASE IF EXISTS test", database="mysql")
        root_sql(host, "REVOKE CREATE ON hypoteky.* FROM 'hypoteky'@'localhost'", database="mysql")
        root_sql(host, f"UPDATE klienti_klient SET city = {sql_string(city)} WHERE id = {case_id}")
        root_sql(host, "DELETE FROM klienti_auditentry WHERE actor_username = 'audit-test'")


def sql_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


EXPECTED_FAILURES = {
    "django-check-deploy": "security.W018",
    "files-env-file": "0644",
    "db-anonymous-users": "''@'localhost'",
    "db-test-database": "test_*: test;",
    "db-app-privileges": "also has CREATE",
    "files-release-world-writable": "manifest.json",
    "encryption-at-rest": "column city",
    "pii-audit-trail": "klienti_auditentry: 1 distinct personal values found",
    "ssh-password-login": "passwordauthentication yes",
}


def test_weakened_deployment_fails_naming_each_weakness(host, weakened):
    result = run_playbook("04-audit.yml")
    assert result.returncode != 0
    message = next(line for line in result.stdout.splitlines() if "Security audit of audit-1" in line)
    assert "FAILED" in message
    report = latest(host)
    assert report["result"] == "fail"
    checks = by_id(report)
    for check_id, evidence in EXPECTED_FAILURES.items():
        assert check_id in message
        assert checks[check_id]["result"] == "fail", checks[check_id]
        assert evidence in checks[check_id]["evidence"], checks[check_id]
    assert sorted(report["failing"]) == sorted(EXPECTED_FAILURES)
    assert "Plaintext Town" not in json.dumps(report)
    assert checks["db-migrate-privileges"]["result"] == "pass"


def test_restored_deployment_passes_again(host):
    result = run_playbook("04-audit.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Security audit of audit-1" in result.stdout
    assert latest(host)["result"] == "pass"


def test_an_expired_waiver_waives_nothing(host):
    waivers = [
        {"check": "deps-cve", "reason": "accepted until the end of 2020", "expires": "2020-12-31"},
        {"check": "tls-chain", "reason": "pebble", "expires": "2099-12-31"},
    ]
    result = run_playbook("04-audit.yml", "-e", json.dumps({"audit_waivers": waivers}))
    assert result.returncode != 0
    assert "Expired waivers (they waive nothing): deps-cve" in result.stdout
    check = by_id(latest(host))["deps-cve"]
    assert check["result"] == "not_run"
    assert check["waiver"] == {"reason": "accepted until the end of 2020", "expires": "2020-12-31", "expired": True}
    assert by_id(latest(host))["tls-chain"]["result"] == "waived"


def test_a_malformed_waiver_stops_the_audit_before_it_runs(host):
    waivers = [{"check": "no-such-check", "reason": "", "expires": "soon"}]
    result = run_playbook("04-audit.yml", "-e", json.dumps({"audit_waivers": waivers}))
    assert result.returncode != 0
    assert "each waiver needs `check`" in result.stdout
