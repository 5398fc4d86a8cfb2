"""A case's step deadlines as an iCalendar file (RFC 5545).

Events name the case by its reference, never the client: calendars are
synced to phones and third-party services."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .steps import get_step


def _escape(text: str) -> str:
    return (
        str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > 74:
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def case_calendar(klient, steps) -> str:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    host = (settings.ALLOWED_HOSTS or ["hypoteky"])[0].lstrip(".") or "hypoteky"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//hypoteky//CRM//CS",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(klient.reference)}",
    ]
    for step in steps:
        if step.completed_at is not None:
            continue
        day = step.deadline.strftime("%Y%m%d")
        next_day = (step.deadline + timedelta(days=1)).strftime("%Y%m%d")
        summary = f"{klient.reference}: {step.number}. {get_step(step.number).name}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{klient.reference}-{step.number}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day}",
            f"DTEND;VALUE=DATE:{next_day}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(_('Deadline of step %(number)s') % {'number': step.number})}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
