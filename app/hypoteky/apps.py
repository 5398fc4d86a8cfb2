from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    """The admin at /admin/ accepts only sessions verified with a TOTP token."""

    default_site = "django_otp.admin.OTPAdminSite"
