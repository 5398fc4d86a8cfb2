from . import roles


def user_roles(request):
    user = getattr(request, "user", None)
    names = roles.roles_of(user) if user is not None else frozenset()
    return {
        "is_manager": roles.MANAGER in names,
        "is_adviser": roles.ADVISER in names,
        "is_portal_client": roles.CLIENT in names,
        "is_administrator": roles.ADMINISTRATOR in names,
    }
