"""Rendering and sending the app's e-mails, and logging every attempt.

Bodies are templates (plain text and HTML) under klienti/email/<language>/,
Czech by default. Failures are logged as the exception class and SMTP code
only: server messages can quote addresses."""

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string, select_template
from django.utils import translation

from .models import NotifikaceLog


def _template(name: str, extension: str, language: str) -> str:
    return select_template(
        [f"klienti/email/{language}/{name}.{extension}", f"klienti/email/cs/{name}.{extension}"]
    ).template.name


def build_message(name: str, context: dict, to: list[str], connection=None):
    """An EmailMultiAlternatives from klienti/email/<lang>/<name>.{subject,txt,html}."""
    language = settings.LANGUAGE_CODE
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(_template(name, "subject", language), context)
        text = render_to_string(_template(name, "txt", language), context)
        html = render_to_string(_template(name, "html", language), context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def describe_error(exc: BaseException) -> str:
    """Exception class and SMTP status code, never the server's text."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _msg in exc.recipients.values()})
        return f"{type(exc).__name__} {','.join(codes)}"
    return type(exc).__name__


SEND_ERRORS = (smtplib.SMTPException, socket.error, OSError)


def send(message) -> str:
    """Send one message; returns '' on success or the error description."""
    if not message.to:
        return "no e-mail address"
    try:
        message.send(fail_silently=False)
    except SEND_ERRORS as exc:
        return describe_error(exc)
    return ""


def open_connection():
    return get_connection(fail_silently=False)


def log_attempt(recipient, notification_type, error: str, klient_ids=(None,), sent_for=None):
    NotifikaceLog.objects.bulk_create(
        [
            NotifikaceLog(
                recipient=recipient,
                notification_type=notification_type,
                klient_id=klient_id,
                sent_for=sent_for,
                success=not error,
                error=error,
            )
            for klient_id in klient_ids
        ],
        batch_size=1000,
    )
