"""Phase 7 on the whole stack: the check timers on the inventory's schedule,
rotated logs, a health check that notices a stopped app (journal, failed
unit, state file, one alert e-mail) and its recovery, a resource check that
warns and fails, status.yml's report, and logs that carry no personal data."""

import json
import re
import time

import pytest
from hosts import run_playbook

testinfra_hosts = ["monitoring-1"]

STATE_DIR = "/var/lib/hypoteky/monitoring"
SINK = "hypoteky-test-smtp-sink.service"
UNITS = [
    "hypoteky-healthcheck.service",
    "hypoteky-healthcheck.timer",
    "hypoteky-resource-check.service",
    "hypoteky-resource-check.timer",
]


def inventory_value(host, name):
    """A variable as Ansible resolves it for the host (inventory, host_vars)."""
    return host.ansible("debug", f"var={name}", check=False)[name]


def state(host, name):
    with host.sudo():
        return json.loads(host.file(f"{STATE_DIR}/{name}").content_string)


def host_time(host):
    return int(host.check_output("date +%s"))


def journal(host, since, *args):
    with host.sudo():
        return host.check_output(f"journalctl --no-pager -o cat --since @{since} " + " ".join(args))


def start(host, unit):
    with host.sudo():
        return host.run(f"systemctl start {unit}")


@pytest.fixture(scope="module")
def domain(host):
    return inventory_value(host, "hypoteky_domain")


@pytest.mark.parametrize(
    ("timer", "variable"),
    [
        ("hypoteky-healthcheck.timer", "monitoring_healthcheck_schedule"),
        ("hypoteky-resource-check.timer", "monitoring_resource_check_schedule"),
    ],
)
def test_timers_enabled_and_active_on_the_inventorys_schedule(host, timer, variable):
    schedule = inventory_value(host, variable)
    assert host.service(timer).is_enabled
    assert host.service(timer).is_running
    normalized = re.search(r"Normalized form: (.+)", host.check_output(f"systemd-analyze calendar '{schedule}'"))
    calendar = host.check_output(f"systemctl show {timer} -p TimersCalendar --value")
    assert f"OnCalendar={normalized.group(1).strip()} ;" in calendar
    assert f"OnCalendar={schedule}\n" in host.file(f"/etc/systemd/system/{timer}").content_string


def test_health_check_runs_every_minute_in_the_sandbox(host):
    # The sandbox's inventory (linked into this scenario) asks for every minute.
    assert inventory_value(host, "monitoring_healthcheck_schedule") == "*-*-* *:*:00"


@pytest.mark.parametrize("unit", UNITS)
def test_units_verify_and_are_roots_0644(host, unit):
    path = f"/etc/systemd/system/{unit}"
    unit_file = host.file(path)
    assert unit_file.user == "root"
    assert unit_file.group == "root"
    assert unit_file.mode == 0o644
    with host.sudo():
        result = host.run(f"systemd-analyze verify --man=no {path}")
    assert result.rc == 0, result.stderr


def test_logrotate_configs_parse_and_nginx_rotates_once(host):
    with host.sudo():
        for config in ("/etc/logrotate.d/hypoteky", "/etc/logrotate.d/nginx"):
            result = host.run(f"logrotate --debug {config}")
            assert result.rc == 0, result.stderr
        owners = host.check_output("grep -l '/var/log/nginx' /etc/logrotate.d/* || true").split()
    assert owners == ["/etc/logrotate.d/nginx"]


def test_job_logs_rotate(host):
    log = "/var/log/hypoteky/monitoring-test.log"
    with host.sudo():
        host.check_output(f"install -d -m 0750 /var/log/hypoteky && echo job-line > {log}")
        try:
            host.check_output("logrotate --force /etc/logrotate.d/hypoteky")
            assert host.file(f"{log}.1").content_string == "job-line\n"
            assert host.file(log).size == 0  # copytruncate: the writer keeps its file
        finally:
            host.run(f"rm -f {log} {log}.*")


def test_app_and_gunicorn_log_to_the_journal_which_is_capped(host):
    show = host.check_output("systemctl show hypoteky.service -p StandardOutput -p StandardError")
    assert "StandardOutput=journal" in show
    assert "StandardError=inherit" in show or "StandardError=journal" in show
    with host.sudo():
        config = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert re.search(r"(?m)^SystemMaxUse=\S+", config)
    assert re.search(r"(?m)^Storage=persistent", config)


def test_healthy_probe_records_success(host, domain):
    before = host_time(host)
    # Type=notify returns when the arbiter is up; its workers may still be
    # loading the app, and nginx answers 502 or times out until one is. The
    # next probes, as the timer would run them, must see it recover.
    for _ in range(30):
        result = start(host, "hypoteky-healthcheck.service")
        if result.rc == 0:
            break
        time.sleep(2)
    health = state(host, "health.json")
    assert result.rc == 0, f"{result.stderr} {health}"
    assert health["status"] == "ok"
    assert health["consecutive_failures"] == 0
    assert health["target"] == f"https://{domain}/readyz via 127.0.0.1"
    assert health["detail"] == "HTTP 200"
    last = time.mktime(time.strptime(health["last_success"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert last >= before - 2


def test_resource_check_passes_on_a_healthy_host(host, domain):
    result = start(host, "hypoteky-resource-check.service")
    assert result.rc == 0, result.stderr
    resources = state(host, "resources.json")
    assert resources["status"] == "ok", resources["findings"]
    assert "/" in resources["disks"]
    cert = resources["certificates"][f"/etc/nginx/tls/{domain}/fullchain.pem"]
    assert cert["days_left"] > 21
    assert resources["memory"]["available_percent"] > 0


@pytest.fixture
def smtp_sink(host):
    """An SMTP server on the host's port 25 (the app's SMTP settings) that
    writes every message it receives to its journal."""
    with host.sudo():
        host.run(f"systemctl stop {SINK}; systemctl reset-failed {SINK}")
        host.check_output(f"systemd-run --unit={SINK} python3 -u -W ignore -m smtpd -n -c DebuggingServer 127.0.0.1:25")
        for _ in range(50):
            if host.run("ss -ltn 'sport = :25' | grep -q LISTEN").rc == 0:
                break
            time.sleep(0.2)
    yield lambda: host.check_output(f"sudo journalctl --no-pager -o cat -u {SINK}")
    with host.sudo():
        host.run(f"systemctl stop {SINK}")


def test_stopped_app_is_detected_alerted_once_and_recovers(host, domain, smtp_sink):
    since = host_time(host)
    try:
        with host.sudo():
            host.check_output("systemctl stop hypoteky.socket hypoteky.service")
        for _ in range(3):
            result = start(host, "hypoteky-healthcheck.service")
            assert result.rc != 0
        health = state(host, "health.json")
        assert health["status"] == "failing"
        assert health["consecutive_failures"] >= 3
        assert health["detail"].startswith("HTTP 502")
        assert health["last_failure"] >= health["last_success"]
        assert health["alert_sent"] is True
        with host.sudo():
            assert host.run("systemctl is-failed hypoteky-healthcheck.service").stdout.strip() == "failed"
            assert "hypoteky-healthcheck.service" in host.check_output("systemctl --failed --no-legend --plain")
        errors = journal(host, since, "-u hypoteky-healthcheck.service -p err")
        assert f"hypoteky-healthcheck: FAILED https://{domain}/readyz via 127.0.0.1: HTTP 502" in errors
    finally:
        with host.sudo():
            host.check_output("systemctl start hypoteky.socket hypoteky.service")
    # Type=notify returns when the arbiter is up; its workers may still be
    # loading the app, and nginx answers 502 or times out until one is. The
    # next probes, as the timer would run them, must see it recover.
    for _ in range(30):
        result = start(host, "hypoteky-healthcheck.service")
        if result.rc == 0:
            break
        time.sleep(2)
    health = state(host, "health.json")
    assert result.rc == 0, f"{result.stderr} {health}"
    assert health["status"] == "ok"
    assert health["consecutive_failures"] == 0
    assert "answers again" in journal(host, since, "-u hypoteky-healthcheck.service")
    mails = smtp_sink()
    assert mails.count("Subject: [hypoteky] monitoring-1: site health check failing") == 1
    assert mails.count("Subject: [hypoteky] monitoring-1: site healthy again") == 1
    assert "To: ops@hypoteky.molecule.test" in mails


def test_failed_job_unit_is_reported_and_fails_the_check(host):
    unit = "hypoteky-test-failing-job.service"
    since = host_time(host)
    with host.sudo():
        host.run(f"systemctl reset-failed {unit}")
        host.run(f"systemd-run --unit={unit} /bin/false")
    try:
        for _ in range(50):
            if host.run(f"systemctl is-failed {unit}").stdout.strip() == "failed":
                break
            time.sleep(0.2)
        result = start(host, "hypoteky-resource-check.service")
        assert result.rc != 0
        resources = state(host, "resources.json")
        assert resources["status"] == "attention"
        assert unit in resources["failed_units"]
        assert any(
            f["check"] == "unit" and f["priority"] == "err" and unit in f["message"] for f in resources["findings"]
        )
        errors = journal(host, since, "-u hypoteky-resource-check.service -p err")
        assert f"hypoteky-resource-check: unit: {unit} failed" in errors
    finally:
        with host.sudo():
            host.run(f"systemctl reset-failed {unit}")
    result = start(host, "hypoteky-resource-check.service")
    assert result.rc == 0, state(host, "resources.json")["findings"]


def test_impossible_thresholds_warn_and_fail(host, domain):
    since = host_time(host)
    strict = run_playbook(
        "07-monitoring.yml", "-e", "monitoring_disk_min_free_percent=100", "-e", "monitoring_cert_warn_days=3650"
    )
    try:
        assert strict.returncode == 0, strict.stdout[-3000:]
        result = start(host, "hypoteky-resource-check.service")
        assert result.rc != 0
        findings = state(host, "resources.json")["findings"]
        assert any(
            f["check"] == "disk" and f["message"].startswith("/: ") and "below 100.0 %" in f["message"]
            for f in findings
        )
        assert any(f["check"] == "certificate" and "below 3650" in f["message"] for f in findings)
        warnings = journal(host, since, "-u hypoteky-resource-check.service -p warning")
        assert "hypoteky-resource-check: certificate:" in warnings
        assert "hypoteky-resource-check: disk: /:" in warnings
    finally:
        restored = run_playbook("07-monitoring.yml")
    assert restored.returncode == 0, restored.stdout[-3000:]
    assert start(host, "hypoteky-resource-check.service").rc == 0


def test_status_playbook_reports_every_field_read_only(host, domain):
    start(host, "hypoteky-healthcheck.service")
    release = host.file("/srv/hypoteky/current").linked_to.rsplit("/", 1)[-1]
    proc = run_playbook("status.yml", "--check")
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)
    assert proc.returncode == 0, out[-3000:]
    assert re.search(r"monitoring-1\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", out), out[-2000:]
    print(out[out.find("TASK [monitoring : Show the host's state]") :][:4000])
    assert re.search(rf'"release\s+{re.escape(release)} ', out)
    assert re.search(r'"service\s+hypoteky\.socket active \((listening|running)', out)
    assert re.search(r'"\s+hypoteky\.service active \(running', out)
    assert re.search(r'"\s+nginx\.service active \(running', out)
    assert re.search(r'"\s+mariadb\.service active \(running', out)
    assert re.search(r'"timer\s+hypoteky-healthcheck\.timer active \(waiting', out)
    assert re.search(r'"\s+hypoteky-db-backup\.timer active \(waiting', out)
    assert re.search(r'"last backup\s+(hypoteky-\S+\.sql\.zst at |no backup in )', out)
    assert re.search(r'"notifications\s+(not installed|installed, never run|last run .*: (success|FAILED))', out)
    assert re.search(r'"certificate\s+expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ days left\), issuer .*Pebble', out)
    assert re.search(r'"last audit\s+(never audited|\S+ for release )', out)
    assert re.search(r'"health\s+ok, last success \d{4}-', out)
    assert re.search(r'"resources\s+(ok|attention) at \d{4}-', out)
