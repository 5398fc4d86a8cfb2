"""Writing the audit trail. Field names only, never values."""

from .models import AuditAction, AuditEntry


def record(actor, klient_id: int, action: str, fields=(), step_number=None) -> AuditEntry:
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        klient_id=klient_id,
        action=action,
        fields=sorted(set(fields)),
        step_number=step_number,
    )


def history(klient_id: int, limit: int = 100):
    return AuditEntry.objects.filter(klient_id=klient_id).order_by("-created_at", "-id")[:limit]
