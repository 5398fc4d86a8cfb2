"""GDPR: the right of access (export) and the right to erasure.

Export: one case's decrypted data, steps, notification log and audit trail
as JSON files in a ZIP; every export is itself an audit entry.

Erasure: the 14 personal fields and the step notes are blanked, the
financial record stays (statistics, legal retention). Each erasure is written
to the ErasureLog table and, when HYPOTEKY_GDPR_ERASURE_LOG is set, appended
to a JSON-lines file outside the database: after a restore from a backup
taken before the erasure, `gdpr_replay_erasures` erases the case again.
"""

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import (
    AuditAction,
    AuditEntry,
    CaseStep,
    ErasureLog,
    Klient,
    NotifikaceLog,
    Status,
    encrypted_field_names,
)
from .operational_models import ErasureReason
from .steps import get_step

logger = logging.getLogger(__name__)

PERSONAL_FIELDS = tuple(encrypted_field_names(Klient))
CASE_FIELDS = (
    "id",
    "status",
    "opened_on",
    *PERSONAL_FIELDS,
    "property_price",
    "loan_amount",
    "own_resources",
    "ltv",
    "bank",
    "current_step",
    "current_deadline",
    "created_at",
    "updated_at",
    "closed_at",
)
# Closed cases whose retention period is over; erased ones need nothing more.
RETAINED_STATUSES = (Status.COMPLETED, Status.REJECTED)


def _dump(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def export_data(klient: Klient) -> dict[str, object]:
    case = {name: getattr(klient, name) for name in CASE_FIELDS}
    case["reference"] = klient.reference
    case["adviser"] = klient.adviser.get_username()
    steps = [
        {
            "number": step.number,
            "name": str(get_step(step.number).name),
            "deadline": step.deadline,
            "completed_at": step.completed_at,
            "completed_by": step.completed_by.get_username() if step.completed_by else None,
            "note": step.note,
        }
        for step in klient.steps.select_related("completed_by").order_by("number")
    ]
    notifications = list(
        NotifikaceLog.objects.filter(klient_id=klient.pk)
        .order_by("created_at", "id")
        .values("created_at", "notification_type", "sent_for", "success", "error")
    )
    audit_entries = list(
        AuditEntry.objects.filter(klient_id=klient.pk)
        .order_by("created_at", "id")
        .values("created_at", "actor_username", "action", "fields", "step_number")
    )
    return {
        "case.json": case,
        "steps.json": steps,
        "notifications.json": notifications,
        "audit.json": audit_entries,
    }


def export_case(actor, klient: Klient) -> tuple[str, bytes]:
    """(file name, ZIP bytes); records the export in the audit trail."""
    files = export_data(klient)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, _dump(data))
        archive.writestr(
            "README.txt",
            f"GDPR export of case {klient.reference}, created "
            f"{timezone.localtime():%Y-%m-%d %H:%M}.\n"
            "case.json: the case; steps.json: the 15 steps; notifications.json: "
            "notifications sent about it; audit.json: who changed what and when.\n",
        )
    audit.record(actor, klient.pk, AuditAction.EXPORTED, list(files))
    logger.info("GDPR export", extra={"klient_id": klient.pk})
    return f"{klient.reference}-gdpr-export.zip", buffer.getvalue()


def _blank(klient: Klient) -> list[str]:
    changed = []
    for name in PERSONAL_FIELDS:
        field = klient._meta.get_field(name)
        empty = None if field.null else ""
        if getattr(klient, name) != empty:
            changed.append(name)
        setattr(klient, name, empty)
    return changed


def _append_to_log_file(entry: ErasureLog) -> None:
    path = settings.GDPR_ERASURE_LOG
    if not path:
        return
    line = {
        "klient_id": entry.klient_id,
        "erased_at": entry.erased_at.isoformat(),
        "reason": entry.reason,
    }
    with Path(path).open("a", encoding="utf-8") as log_file:
        log_file.write(json.dumps(line) + "\n")
        log_file.flush()


def erase_case(
    actor, klient: Klient, reason: str = ErasureReason.REQUEST, erased_at=None, log_file=True
) -> ErasureLog:
    """Anonymise one case. The audit trail and the notification log stay: they
    hold no personal data and reference the case only by number."""
    with transaction.atomic():
        klient = Klient.objects.select_for_update().get(pk=klient.pk)
        changed = _blank(klient)
        klient.status = Status.ERASED
        klient.erased_at = erased_at or timezone.now()
        klient.current_step = None
        klient.current_deadline = None
        klient.portal_user = None
        klient.save()
        # The note column is encrypted: SQL cannot tell which notes are empty.
        for step in CaseStep.objects.filter(klient=klient).only("pk", "number", "note"):
            if step.note:
                step.note = ""
                step.save(update_fields=["note"])
                changed.append(f"steps.{step.number}.note")
        audit.record(actor, klient.pk, AuditAction.ERASED, changed)
        entry = ErasureLog.objects.create(
            klient_id=klient.pk,
            erased_at=klient.erased_at,
            actor_username=actor.get_username() if actor is not None else "",
            reason=reason,
        )
        if log_file:
            _append_to_log_file(entry)
    logger.info("GDPR erasure", extra={"klient_id": klient.pk, "event": reason})
    return entry


def retention_cutoff(now=None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.GDPR_RETENTION_DAYS)


def purge_candidates(now=None):
    return Klient.objects.filter(
        status__in=RETAINED_STATUSES, closed_at__lt=retention_cutoff(now)
    ).order_by("pk")


def purge(now=None, dry_run=False) -> list[str]:
    """Erase closed cases past retention; returns their references."""
    references = []
    for klient in purge_candidates(now).only("pk", "status"):
        references.append(klient.reference)
        if not dry_run:
            erase_case(None, klient, reason=ErasureReason.RETENTION)
    return references


@dataclass
class ReplayResult:
    erased: list[str]
    already_erased: int
    missing: int


def read_log_file(path) -> list[dict]:
    entries = []
    with Path(path).open(encoding="utf-8") as log_file:
        for number, line in enumerate(log_file, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                entries.append(
                    {
                        "klient_id": int(entry["klient_id"]),
                        "erased_at": datetime.fromisoformat(entry["erased_at"]),
                        "reason": entry.get("reason", ErasureReason.REQUEST),
                    }
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an erasure log entry") from exc
    return entries


def replay_erasures(entries) -> ReplayResult:
    """Erase again every logged case that a restore brought back."""
    result = ReplayResult(erased=[], already_erased=0, missing=0)
    for entry in entries:
        klient = Klient.objects.filter(pk=entry["klient_id"]).only("pk", "status").first()
        if klient is None:
            result.missing += 1
        elif klient.status == Status.ERASED:
            result.already_erased += 1
        else:
            erase_case(
                None,
                klient,
                reason=entry["reason"],
                erased_at=entry["erased_at"],
                log_file=False,
            )
            result.erased.append(klient.reference)
    return result


def entries_from_database() -> list[dict]:
    return list(ErasureLog.objects.values("klient_id", "erased_at", "reason"))
