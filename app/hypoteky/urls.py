from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from klienti.forms import LoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("klienti.api.urls")),
    path("", include("klienti.operations_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("klienti.urls")),
]
