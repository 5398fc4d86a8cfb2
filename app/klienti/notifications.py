"""Deadline digests and event mails.

`send_deadline_notifications` sends each adviser one e-mail listing every
open step (any of the 15, not only the current one) due within N days or
overdue. Several hosts may run it at once: a NotificationClaim row, unique
per adviser and day, decides who sends; a failed send may be retried later
the same day, a successful one never repeats. A run that died mid-send (its
claim still "sending" after CLAIM_STALE_AFTER) is taken over by the next
run: a digest may then arrive twice, but is never lost for the day.

E-mails name cases by reference (HYP-000123) and link to them; client names
stay in the encrypted database.
"""

import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from . import mail, signals
from .models import ACTIVE_STATUSES, CaseStep, NotificationType
from .operational_models import ClaimStatus, NotificationClaim
from .steps import get_step

logger = logging.getLogger(__name__)
User = get_user_model()
# Far longer than one send takes (seconds): a claim left "sending" this long
# belongs to a run that was killed or crashed before it could record the result.
CLAIM_STALE_AFTER = timedelta(minutes=30)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass(frozen=True)
class DueStep:
    klient_id: int
    number: int
    deadline: date
    days_left: int

    @property
    def reference(self) -> str:
        return f"HYP-{self.klient_id:06d}"

    @property
    def step_name(self) -> str:
        return str(get_step(self.number).name)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left


def due_steps(day: date, days: int) -> dict[int, list[DueStep]]:
    """Open steps of active cases due by day + days (overdue included), by adviser id."""
    rows = (
        CaseStep.objects.filter(
            completed_at__isnull=True,
            deadline__lte=day + timedelta(days=days),
            klient__status__in=ACTIVE_STATUSES,
        )
        .order_by("deadline", "klient_id", "number")
        .values_list("klient__adviser_id", "klient_id", "number", "deadline")
    )
    by_adviser: dict[int, list[DueStep]] = defaultdict(list)
    for adviser_id, klient_id, number, deadline in rows.iterator(chunk_size=2000):
        by_adviser[adviser_id].append(DueStep(klient_id, number, deadline, (deadline - day).days))
    return by_adviser


def claim(notification_type: str, recipient, period: date) -> bool:
    """True when this process may send; the database decides across hosts."""
    me = worker_id()
    try:
        with transaction.atomic():
            NotificationClaim.objects.create(
                notification_type=notification_type,
                recipient=recipient,
                period=period,
                status=ClaimStatus.SENDING,
                claimed_by=me,
            )
        return True
    except IntegrityError:
        # Someone holds it; only a failed attempt or a stale one may be taken
        # over, and the conditional UPDATE lets exactly one contender do that.
        now = timezone.now()
        held = NotificationClaim.objects.filter(
            notification_type=notification_type, recipient=recipient, period=period
        )
        stale = Q(status=ClaimStatus.SENDING, updated_at__lt=now - CLAIM_STALE_AFTER)
        previous = held.filter(stale).values_list("claimed_by", "updated_at").first()
        taken = held.filter(Q(status=ClaimStatus.FAILED) | stale).update(
            status=ClaimStatus.SENDING, claimed_by=me, updated_at=now
        )
        if taken and previous:
            logger.warning(
                "notification claim taken over: its run stopped before recording the result",
                extra={
                    "notification_type": notification_type,
                    "recipient_id": recipient.pk,
                    "claimed_by": previous[0],
                    "claimed_at": previous[1].isoformat(),
                },
            )
        return taken == 1


def finish_claim(notification_type: str, recipient, period: date, error: str) -> None:
    NotificationClaim.objects.filter(
        notification_type=notification_type, recipient=recipient, period=period
    ).update(status=ClaimStatus.FAILED if error else ClaimStatus.SENT, updated_at=timezone.now())


@dataclass
class DigestRun:
    day: date
    days: int
    dry_run: bool
    planned: dict[str, int] = field(default_factory=dict)  # username -> number of steps
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def send_deadline_notifications(day: date, days: int, dry_run: bool = False) -> DigestRun:
    run = DigestRun(day=day, days=days, dry_run=dry_run)
    by_adviser = due_steps(day, days)
    advisers = User.objects.filter(pk__in=by_adviser).order_by("username")
    connection = None if dry_run else mail.open_connection()
    for adviser in advisers:
        items = by_adviser[adviser.pk]
        username = adviser.get_username()
        run.planned[username] = len(items)
        if dry_run:
            continue
        kind = NotificationType.DEADLINE_DIGEST
        if not claim(kind, adviser, day):
            run.skipped.append(username)
            continue
        message = mail.build_message(
            "deadline_digest",
            {
                "adviser": adviser,
                "day": day,
                "days": days,
                "overdue": [i for i in items if i.overdue],
                "upcoming": [i for i in items if not i.overdue],
                "count": len(items),
            },
            to=[adviser.email] if adviser.email else [],
            connection=connection,
        )
        error = mail.send(message)
        finish_claim(kind, adviser, day, error)
        case_ids = sorted({item.klient_id for item in items})
        mail.log_attempt(adviser, kind, error, klient_ids=case_ids, sent_for=day)
        (run.failed if error else run.sent).append(username)
        if error:
            logger.warning("deadline digest failed: %s", error, extra={"user_id": adviser.pk})
    logger.info(
        "deadline digests done",
        extra={"done": len(run.sent), "skipped": len(run.skipped), "count": len(run.failed)},
    )
    return run


def _send_event(name: str, notification_type: str, klient, context: dict) -> str:
    adviser = klient.adviser
    try:
        message = mail.build_message(
            name,
            {"reference": klient.reference, "klient_id": klient.pk, **context},
            to=[adviser.email] if adviser.email else [],
        )
        error = mail.send(message)
    except Exception as exc:  # an e-mail must never break the action that caused it
        logger.exception("event mail could not be built", extra={"klient_id": klient.pk})
        error = type(exc).__name__
    mail.log_attempt(adviser, notification_type, error, klient_ids=[klient.pk])
    return error


@receiver(signals.step_completed, dispatch_uid="klienti.notifications.step_completed")
def mail_step_completed(sender, klient, step, actor, **kwargs):
    _send_event(
        "step_completed",
        NotificationType.STEP_COMPLETED,
        klient,
        {
            "step_number": step.number,
            "step_name": str(get_step(step.number).name),
            "actor": actor.get_username() if actor else "",
            "next_step": klient.current_step,
            "next_deadline": klient.current_deadline,
        },
    )


@receiver(signals.case_rejected, dispatch_uid="klienti.notifications.case_rejected")
def mail_case_rejected(sender, klient, actor, **kwargs):
    _send_event(
        "case_rejected",
        NotificationType.CASE_REJECTED,
        klient,
        {"actor": actor.get_username() if actor else ""},
    )
