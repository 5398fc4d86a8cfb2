from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from the app's own static files, its script in a separate
    request: nothing inline, so the strict CSP stays."""

    template_name = "klienti/api/swagger_ui.html"
