from rest_framework.permissions import BasePermission

from .. import access, roles


class IsCrmUser(BasePermission):
    """Advisers and managers use the API; which cases they reach is decided
    per object by the querysets in klienti.access (another's case is a 404)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and access.can_use_crm(
            request.user
        )


class IsManager(BasePermission):
    def has_permission(self, request, view):
        return roles.is_manager(request.user)
