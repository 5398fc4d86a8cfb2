"""Mail end to end on the converged host: the SMTP sink's TLS and login are
really used, the smoke test's message arrived, and the installed jobs, run
exactly as their timers run them, send the right digests once a day, the
weekly report, and fail visibly when the SMTP server is down."""

import json
import re
import secrets
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from mailhost import (
    DIGEST,
    REPORT,
    manage,
    manage_with,
    messages,
    new_messages,
    sql_rows,
    start_job,
    today,
    unit_show,
)

EVIDENCE = Path(__file__).resolve().parents[3] / "artifacts" / "notifications"


def test_smoke_test_message_arrived_over_tls_with_the_login(host):
    smoke = [m for m in messages(host) if m["subject"].startswith("Test email from notifications-1")]
    assert smoke, "the converge's SMTP smoke test left no message in the sink"
    for message in smoke:
        assert message["to"] == "smoke-test@hypoteky.molecule.test"
        assert message["tls"].startswith("TLSv1."), message["tls"]
        assert message["login"] == "hypoteky"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"HYPOTEKY_EMAIL_HOST_PASSWORD": "wrong-password"}, "SMTPAuthenticationError"),
        ({"HYPOTEKY_EMAIL_USE_TLS": "false"}, "SMTPNotSupportedError"),
        ({"HYPOTEKY_EMAIL_HOST": "127.0.0.2"}, "SSLCertVerificationError"),
    ],
    ids=["wrong-password", "no-starttls", "name-not-on-certificate"],
)
def test_sink_refuses_what_a_real_relay_refuses(host, changes, error):
    before = messages(host)
    result = manage_with(host, changes, "sendtestemail", "refused@hypoteky.molecule.test")
    assert result.rc != 0
    assert error in result.stderr
    assert new_messages(host, before) == []


@pytest.fixture(scope="module")
def demo(host):
    """Demo advisers and cases (seeded as the app user), and what the
    database says is due today: {adviser e-mail: [case id per open step]}."""
    password = secrets.token_urlsafe(16)  # may start with "-": passed as --password=...
    result = manage(host, "seed_demo_data", "--cases", "40", "--advisers", "3", "--seed", "5", f"--password={password}")
    assert result.rc == 0, result.stderr
    day = today(host)
    rows = sql_rows(
        host,
        "SELECT u.email, s.klient_id FROM klienti_casestep s JOIN klienti_klient k ON k.id = s.klient_id "
        "JOIN auth_user u ON u.id = k.adviser_id WHERE s.completed_at IS NULL AND k.status IN ('open', 'approved') "
        f"AND s.deadline <= DATE_ADD('{day}', INTERVAL 3 DAY)",
    )
    due = defaultdict(list)
    for email, klient_id in rows:
        due[email].append(int(klient_id))
    return day, dict(due)


def test_deadline_job_mails_each_adviser_a_digest_of_their_due_cases(host, demo):
    day, due = demo
    assert len(due) >= 2, f"the demo data should leave several advisers with due steps: {due}"
    before = messages(host)
    result = start_job(host, DIGEST)
    assert result.rc == 0, result.stderr
    state = unit_show(
        host, f"{DIGEST}.service", "Result", "ExecMainStatus",
        "ExecMainStartTimestampMonotonic", "ExecMainExitTimestampMonotonic",
    )  # fmt: skip
    assert state["Result"] == "success"
    assert state["ExecMainStatus"] == "0"

    digests = new_messages(host, before)
    assert sorted(m["to"] for m in digests) == sorted(due)
    shown_day = f"{date.fromisoformat(day).day}. {date.fromisoformat(day).month}. {date.fromisoformat(day).year}"
    for message in digests:
        expected = due[message["to"]]
        assert set(re.findall(r"HYP-(\d{6})", message["text"])) == {f"{i:06d}" for i in expected}
        assert f"{len(expected)} otevřených kroků" in message["text"]
        assert shown_day in message["subject"]
        assert message["tls"].startswith("TLSv1.")
        assert message["login"] == "hypoteky"

    logged = sql_rows(
        host,
        "SELECT u.email, l.klient_id FROM klienti_notifikacelog l JOIN auth_user u ON u.id = l.recipient_id "
        f"WHERE l.notification_type = 'deadline_digest' AND l.sent_for = '{day}' AND l.success = 1",
    )
    assert sorted((email, int(klient_id)) for email, klient_id in logged) == sorted(
        {(email, klient_id) for email, ids in due.items() for klient_id in ids}
    )
    with host.sudo():
        journal = host.check_output(f"journalctl -q -o cat -t {DIGEST}")
    assert f"{day}: {len(due)} adviser(s), sent {len(due)}, skipped 0, failed 0" in journal

    seconds = (int(state["ExecMainExitTimestampMonotonic"]) - int(state["ExecMainStartTimestampMonotonic"])) / 1e6
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    sample = digests[0]
    (EVIDENCE / "digest.txt").write_text(f"Subject: {sample['subject']}\nTo: {sample['to']}\n\n{sample['text']}")
    (EVIDENCE / "run.json").write_text(
        json.dumps({"job_seconds": seconds, "digests": len(digests), "steps": sum(map(len, due.values()))}) + "\n"
    )


def test_second_run_the_same_day_sends_nothing(host, demo):
    day, due = demo
    before = messages(host)
    logged_before = sql_rows(host, "SELECT COUNT(*) FROM klienti_notifikacelog")
    result = start_job(host, DIGEST)
    assert result.rc == 0, result.stderr
    assert new_messages(host, before) == []
    assert sql_rows(host, "SELECT COUNT(*) FROM klienti_notifikacelog") == logged_before
    with host.sudo():
        journal = host.check_output(f"journalctl -q -o cat -t {DIGEST}")
    assert f"{day}: {len(due)} adviser(s), sent 0, skipped {len(due)}, failed 0" in journal


def test_job_fails_visibly_while_the_smtp_server_is_down(host, demo):
    day, _due = demo
    before = messages(host)
    with host.sudo():
        host.check_output("systemctl stop smtp-sink")
    try:
        result = start_job(host, REPORT)
        state = unit_show(host, f"{REPORT}.service", "Result", "ExecMainStatus", "ActiveState")
        with host.sudo():
            failed = host.check_output("systemctl list-units --failed --plain --no-legend 'hypoteky-*'")
    finally:
        with host.sudo():
            host.check_output("systemctl start smtp-sink")
    assert result.rc != 0
    assert state == {"Result": "exit-code", "ExecMainStatus": "1", "ActiveState": "failed"}
    assert f"{REPORT}.service" in failed
    assert new_messages(host, before) == []
    assert sql_rows(
        host,
        "SELECT COUNT(*) FROM klienti_notifikacelog WHERE notification_type = 'reporting' "
        f"AND sent_for = '{day}' AND success = 0",
    ) != [["0"]]


def test_reporting_job_sends_the_report_after_the_failed_run(host, demo):
    day, _due = demo
    host.run("for i in $(seq 30); do (exec 3<>/dev/tcp/127.0.0.1/587) 2>/dev/null && break; sleep 0.5; done")
    with host.sudo():
        host.check_output(f"systemctl reset-failed {REPORT}.service")
    before = messages(host)
    result = start_job(host, REPORT)
    assert result.rc == 0, result.stderr
    assert unit_show(host, f"{REPORT}.service", "Result")["Result"] == "success"
    reports = new_messages(host, before)
    assert [m["to"] for m in reports] == ["manazer@example.invalid"]
    assert reports[0]["attachments"] == [f"pipeline-{day}.csv"]
    assert reports[0]["tls"].startswith("TLSv1.")
    assert reports[0]["login"] == "hypoteky"


def test_no_job_left_failed(host):
    with host.sudo():
        assert host.check_output("systemctl list-units --failed --plain --no-legend 'hypoteky-*'") == ""
