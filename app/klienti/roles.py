"""The four roles of the CRM, defined once. A role is a Django group."""

from django.utils.translation import gettext_lazy as _

ADVISER = "poradce"
MANAGER = "manager"
ADMINISTRATOR = "administrator"
CLIENT = "klient"

ROLE_NAMES = {
    ADVISER: _("Adviser"),
    MANAGER: _("Manager"),
    ADMINISTRATOR: _("Administrator"),
    CLIENT: _("Client"),
}
ALL_ROLES = tuple(ROLE_NAMES)

# Roles that must log in with a TOTP token as the second factor.
OTP_REQUIRED_ROLES = frozenset({ADMINISTRATOR})


def roles_of(user) -> frozenset[str]:
    """Role names of a user; superusers count as administrators.

    Cached on the user object so a request asks the database once.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_hypoteky_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        if user.is_superuser:
            names.add(ADMINISTRATOR)
        cached = frozenset(names)
        user._hypoteky_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in roles_of(user)


def is_manager(user) -> bool:
    return has_role(user, MANAGER)


def is_adviser(user) -> bool:
    return has_role(user, ADVISER)


def is_portal_client(user) -> bool:
    return has_role(user, CLIENT)


def requires_otp(user) -> bool:
    """Administrators and staff (who can reach /admin/) need a second factor."""
    return bool(roles_of(user) & OTP_REQUIRED_ROLES) or bool(getattr(user, "is_staff", False))
