"""Who may see and change which case: the one place that decides it.

Every view fetches cases through these querysets, so another adviser's case is
simply not found (404), never "forbidden but existing"."""

from django.db.models import QuerySet

from . import roles
from .models import Klient, Status


def cases_visible_to(user) -> QuerySet:
    names = roles.roles_of(user)
    qs = Klient.objects.exclude(status=Status.ERASED)
    if roles.MANAGER in names:
        return qs
    if roles.ADVISER in names:
        return qs.filter(adviser=user)
    if roles.CLIENT in names:
        return qs.filter(portal_user=user)
    return qs.none()


def cases_editable_by(user) -> QuerySet:
    """Clients read their case in the portal; only staff roles change cases."""
    names = roles.roles_of(user)
    if roles.MANAGER in names or roles.ADVISER in names:
        return cases_visible_to(user)
    return Klient.objects.none()


def can_use_crm(user) -> bool:
    names = roles.roles_of(user)
    return roles.MANAGER in names or roles.ADVISER in names
