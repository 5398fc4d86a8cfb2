import threading
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from klienti import notifications, services
from klienti.models import CaseStep, Klient, NotificationType, NotifikaceLog
from klienti.operational_models import ClaimStatus, NotificationClaim

from .fixtures import make_case, make_user

pytestmark = pytest.mark.django_db

OPENED = date(2026, 3, 2)  # step 1 due 9 March, step 2 on 16 March


def run(*args):
    call_command("send_deadline_notifications", *args)


@pytest.fixture
def cases(adviser, other_adviser):
    return {
        "mine": make_case(adviser, opened_on=OPENED),
        "mine_later": make_case(adviser, opened_on=OPENED + timedelta(days=30)),
        "theirs": make_case(other_adviser, opened_on=OPENED),
    }


def test_each_adviser_gets_one_digest_with_due_and_overdue_steps(smtp_server, cases, adviser):
    run("--date", "2026-03-14", "--days", "3")  # step 1 overdue, step 2 due on the 16th
    assert len(smtp_server.messages) == 2
    [mail] = smtp_server.to(adviser.email)
    text = mail.body("plain")
    html = mail.body("html")
    mine = cases["mine"].reference
    assert "Po termínu: 1" in mail.subject
    assert f"{mine}, krok 1" in text and "5 dnů po termínu" in text
    assert f"{mine}, krok 2" in text and "(za 2 dnů)" in text
    assert cases["mine_later"].reference not in text
    assert cases["theirs"].reference not in text
    assert "<table>" in html and mine in html
    # No client data in the e-mail, only references.
    assert cases["mine"].full_name not in text + html


def test_second_run_the_same_day_sends_nothing(smtp_server, cases, capsys):
    run("--date", "2026-03-14")
    run("--date", "2026-03-14")
    assert len(smtp_server.messages) == 2
    assert "skipped 2" in capsys.readouterr().out
    run("--date", "2026-03-15")
    assert len(smtp_server.messages) == 4


def test_every_attempt_is_logged_per_case_without_personal_data(smtp_server, cases, adviser):
    run("--date", "2026-03-14")
    rows = NotifikaceLog.objects.filter(recipient=adviser)
    assert {row.klient_id for row in rows} == {cases["mine"].pk}
    row = rows.get()
    assert row.success and row.error == "" and row.sent_for == date(2026, 3, 14)
    assert row.notification_type == NotificationType.DEADLINE_DIGEST
    dumped = " ".join(str(v) for v in NotifikaceLog.objects.values_list())
    for klient in cases.values():
        assert klient.full_name not in dumped and klient.email not in dumped


def test_dry_run_lists_and_sends_nothing(smtp_server, cases, adviser, capsys):
    run("--dry-run", "--date", "2026-03-14")
    out = capsys.readouterr().out
    assert f"[dry run] {adviser.username}: 2 step(s), would send" in out
    assert smtp_server.messages == []
    assert not NotifikaceLog.objects.exists()
    assert not NotificationClaim.objects.exists()


def test_all_fifteen_steps_are_covered(smtp_server, adviser):
    klient = make_case(adviser, opened_on=OPENED)
    run("--date", "2026-12-31", "--days", "0")
    text = smtp_server.messages[0].body("plain")
    for number in range(1, 16):
        assert f"{klient.reference}, krok {number} " in text


def test_completed_and_closed_work_is_not_reminded(smtp_server, adviser):
    klient = make_case(adviser, opened_on=OPENED)
    services.complete_step(adviser, klient, 1)
    rejected = make_case(adviser, opened_on=OPENED)
    services.reject_case(adviser, rejected, "Banka odmítla")
    smtp_server.messages.clear()
    run("--date", "2026-03-10", "--days", "0")
    assert smtp_server.messages == []


def test_failed_send_exits_non_zero_is_logged_and_retried(smtp_server, cases, adviser):
    smtp_server.refuse.add(adviser.email)
    with pytest.raises(CommandError, match="1 digest"):
        run("--date", "2026-03-14")
    failed = NotifikaceLog.objects.get(recipient=adviser)
    assert failed.success is False
    assert failed.error == "SMTPRecipientsRefused 550"
    assert adviser.email not in failed.error
    assert NotificationClaim.objects.get(recipient=adviser).status == ClaimStatus.FAILED
    # The next run the same day retries the failed digest only.
    smtp_server.messages.clear()
    smtp_server.refuse.clear()
    run("--date", "2026-03-14")
    assert [m.recipients for m in smtp_server.messages] == [[adviser.email]]
    assert NotificationClaim.objects.get(recipient=adviser).status == ClaimStatus.SENT


def test_unreachable_smtp_server_fails_the_run(settings, cases):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(CommandError):
        run("--date", "2026-03-14")
    assert set(NotifikaceLog.objects.values_list("error", flat=True)) == {"ConnectionRefusedError"}


def test_adviser_without_email_is_a_logged_failure(smtp_server, db):
    nomail = make_user("nomail", "poradce", email="")
    make_case(nomail, opened_on=OPENED)
    with pytest.raises(CommandError):
        run("--date", "2026-03-14")
    assert NotifikaceLog.objects.get().error == "no e-mail address"


def test_bad_arguments_are_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "14.3.2026")
    with pytest.raises(CommandError, match="negative"):
        run("--days", "-1")


def test_claim_lets_exactly_one_contender_send(adviser):
    day = date(2026, 3, 14)
    assert notifications.claim("deadline_digest", adviser, day) is True
    assert notifications.claim("deadline_digest", adviser, day) is False
    notifications.finish_claim("deadline_digest", adviser, day, "SMTPDataError 451")
    assert notifications.claim("deadline_digest", adviser, day) is True
    assert notifications.claim("deadline_digest", adviser, day) is False


def test_claim_left_sending_by_a_dead_run_is_taken_over_once_stale(adviser, caplog):
    day = date(2026, 3, 14)
    assert notifications.claim("deadline_digest", adviser, day) is True  # this run "dies" here
    held = NotificationClaim.objects.filter(recipient=adviser)
    assert notifications.claim("deadline_digest", adviser, day) is False  # still fresh: maybe alive
    crashed_at = timezone.now() - notifications.CLAIM_STALE_AFTER - timedelta(minutes=1)
    held.update(updated_at=crashed_at, claimed_by="host-a:123")
    assert notifications.claim("deadline_digest", adviser, day) is True
    assert held.get().status == ClaimStatus.SENDING and held.get().claimed_by != "host-a:123"
    assert held.get().updated_at > crashed_at
    assert "notification claim taken over" in caplog.text
    assert notifications.claim("deadline_digest", adviser, day) is False  # fresh again
    notifications.finish_claim("deadline_digest", adviser, day, "")
    held.update(updated_at=crashed_at)
    assert notifications.claim("deadline_digest", adviser, day) is False  # sent is never stale


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hosts_send_each_digest_once(smtp_server, adviser, other_adviser):
    """Two processes' worth of runs in parallel threads, each with its own
    database connection, as two app hosts would be."""
    for user in (adviser, other_adviser):
        make_case(user, opened_on=OPENED)
    results = []
    barrier = threading.Barrier(4)

    def host():
        try:
            barrier.wait()
            results.append(notifications.send_deadline_notifications(date(2026, 3, 14), 3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=host) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(m.recipients[0] for m in smtp_server.messages) == sorted(
        [adviser.email, other_adviser.email]
    )
    assert sum(len(r.sent) for r in results) == 2
    assert sum(len(r.skipped) for r in results) == 6


# --- event mails -----------------------------------------------------------------


def test_completing_a_step_mails_the_responsible_adviser(
    smtp_server, adviser, manager, django_capture_on_commit_callbacks
):
    klient = make_case(adviser)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_step(manager, klient, 1)
    [mail] = smtp_server.messages
    assert mail.recipients == [adviser.email]
    assert mail.subject == f"{klient.reference}: dokončen krok 1 Co chce klient financovat"
    assert "Další krok: 2" in mail.body("plain")
    assert mail.body("html").startswith("<!DOCTYPE html>")
    log = NotifikaceLog.objects.get(notification_type=NotificationType.STEP_COMPLETED)
    assert log.klient_id == klient.pk and log.success


def test_rejection_mails_the_adviser_without_the_reason(
    smtp_server, adviser, django_capture_on_commit_callbacks
):
    klient = make_case(adviser)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_case(adviser, klient, "Příjem ze zahraničí")
    [mail] = smtp_server.messages
    assert mail.subject == f"{klient.reference}: případ zamítnut"
    assert "Příjem ze zahraničí" not in mail.body("plain")
    assert NotifikaceLog.objects.get(notification_type=NotificationType.CASE_REJECTED).success


def test_event_mail_failure_does_not_break_the_action(
    settings, adviser, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    klient = make_case(adviser)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_step(adviser, klient, 1)
    assert Klient.objects.get(pk=klient.pk).current_step == 2
    log = NotifikaceLog.objects.get()
    assert log.success is False and log.error == "ConnectionRefusedError"


def test_broken_template_is_logged_not_raised(smtp_server, adviser, monkeypatch):
    from klienti import mail

    def broken(*args, **kwargs):
        raise ValueError("template")

    monkeypatch.setattr(mail, "build_message", broken)
    klient = make_case(adviser)
    step = CaseStep.objects.get(klient=klient, number=1)
    notifications.mail_step_completed(Klient, klient=klient, step=step, actor=None)
    assert NotifikaceLog.objects.get().error == "ValueError"
