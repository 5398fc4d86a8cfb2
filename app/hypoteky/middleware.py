from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the CSP header on every response; the templates use no inline
    scripts or styles, so 'self' is all a page needs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
