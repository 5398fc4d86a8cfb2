from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from hypoteky.logging import set_request_user

from .roles import requires_otp


class RequireOTPMiddleware:
    """Users who must use two factors (administrators, staff) are logged out
    unless their session was verified with a TOTP token, whatever page they ask."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        set_request_user(user.pk if user.is_authenticated else None)
        if user.is_authenticated and requires_otp(user) and not user.is_verified():
            logout(request)
            return redirect(f"{reverse('login')}?otp=required")
        return self.get_response(request)
