from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from .docs import SwaggerView
from .views import KlientViewSet

app_name = "api"

router = SimpleRouter()
router.register("klienti", KlientViewSet, basename="klienti")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
