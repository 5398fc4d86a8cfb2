"""Changes to cases that span models: each is one transaction and one audit entry."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, roles, signals
from .models import ACTIVE_STATUSES, AuditAction, CaseStep, Klient, Status
from .steps import APPROVAL_STEP, LAST_STEP


def create_case(actor, klient: Klient) -> Klient:
    with transaction.atomic():
        klient.save()
        audit.record(actor, klient.pk, AuditAction.CREATED, _filled_fields(klient))
    return klient


def _filled_fields(klient: Klient) -> list[str]:
    return [
        f.name
        for f in klient._meta.concrete_fields
        if f.editable and not f.primary_key and getattr(klient, f.attname) not in (None, "")
    ]


def update_case(actor, klient: Klient, changed_fields) -> Klient:
    with transaction.atomic():
        klient.save()
        if changed_fields:
            audit.record(actor, klient.pk, AuditAction.UPDATED, changed_fields)
    return klient


def complete_step(actor, klient: Klient, number: int, note: str | None = None) -> CaseStep:
    """Complete the case's next open step. Steps complete strictly in order."""
    with transaction.atomic():
        klient = Klient.objects.select_for_update().get(pk=klient.pk)
        if klient.status not in ACTIVE_STATUSES:
            raise ValidationError(_("Only an open case can move on."), code="not_active")
        if number != klient.current_step:
            raise ValidationError(
                _("Steps are completed in order; the next step is %(step)s.")
                % {"step": klient.current_step},
                code="out_of_order",
            )
        step = klient.steps.get(number=number)
        step.completed_at = timezone.now()
        step.completed_by = actor
        fields = ["completed_at"]
        if note is not None and note != step.note:
            step.note = note
            fields.append("note")
        step.save()

        if number == LAST_STEP:
            klient.status = Status.COMPLETED
            klient.current_step = None
            klient.current_deadline = None
            klient.closed_at = step.completed_at
        else:
            following = klient.steps.get(number=number + 1)
            klient.current_step = following.number
            klient.current_deadline = following.deadline
            if number >= APPROVAL_STEP:
                klient.status = Status.APPROVED
        klient.save(
            update_fields=["status", "current_step", "current_deadline", "closed_at", "updated_at"]
        )
        audit.record(actor, klient.pk, AuditAction.STEP_COMPLETED, fields, step_number=number)
        transaction.on_commit(
            lambda: signals.step_completed.send(Klient, klient=klient, step=step, actor=actor)
        )
    return step


def set_step_note(actor, klient: Klient, number: int, note: str) -> CaseStep:
    with transaction.atomic():
        step = klient.steps.select_for_update().get(number=number)
        if step.note != note:
            step.note = note
            step.save(update_fields=["note"])
            audit.record(actor, klient.pk, AuditAction.NOTE_CHANGED, ["note"], step_number=number)
    return step


def set_step_deadline(actor, klient: Klient, number: int, deadline) -> CaseStep:
    with transaction.atomic():
        step = klient.steps.select_for_update().get(number=number)
        step.deadline = deadline
        step.save(update_fields=["deadline"])
        if klient.current_step == number:
            klient.current_deadline = deadline
            klient.save(update_fields=["current_deadline", "updated_at"])
        audit.record(actor, klient.pk, AuditAction.UPDATED, ["deadline"], step_number=number)
    return step


def reject_case(actor, klient: Klient, reason: str) -> Klient:
    if not reason.strip():
        raise ValidationError(_("Give the reason for the rejection."), code="reason_required")
    with transaction.atomic():
        klient = Klient.objects.select_for_update().get(pk=klient.pk)
        if klient.status not in ACTIVE_STATUSES:
            raise ValidationError(_("Only an open case can be rejected."), code="not_active")
        klient.status = Status.REJECTED
        klient.rejection_reason = reason
        klient.closed_at = timezone.now()
        klient.current_step = None
        klient.current_deadline = None
        klient.save(
            update_fields=[
                "status",
                "rejection_reason",
                "closed_at",
                "current_step",
                "current_deadline",
                "updated_at",
            ]
        )
        audit.record(actor, klient.pk, AuditAction.REJECTED, ["status", "rejection_reason"])
        transaction.on_commit(
            lambda: signals.case_rejected.send(Klient, klient=klient, actor=actor)
        )
    return klient


def reassign_case(actor, klient: Klient, new_adviser) -> Klient:
    if not roles.is_manager(actor):
        raise PermissionDenied("Only managers reassign cases.")
    if not roles.is_adviser(new_adviser):
        raise ValidationError(_("The new owner must be an adviser."), code="not_adviser")
    with transaction.atomic():
        klient.adviser = new_adviser
        klient.save(update_fields=["adviser", "updated_at"])
        audit.record(actor, klient.pk, AuditAction.REASSIGNED, ["adviser"])
    return klient


def delete_case(actor, klient: Klient) -> None:
    """Delete a case and its steps; the audit trail stays (it has no foreign key)."""
    with transaction.atomic():
        pk = klient.pk
        audit.record(actor, pk, AuditAction.DELETED)
        klient.delete()
