"""The client's address when the app runs behind reverse proxies."""

from django.conf import settings


def client_ip(request) -> str | None:
    """nginx appends the address it saw to X-Forwarded-For, so with N trusted
    proxies the client is the N-th entry from the right. Entries further left
    are whatever the client sent and cannot be trusted."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]
