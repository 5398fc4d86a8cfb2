"""Web routes of the reporting page and the GDPR actions."""

from django.urls import path

from . import gdpr_views, reporting_views

app_name = "operations"
urlpatterns = [
    path("reporty/", reporting_views.report_page, name="report"),
    path(
        "reporty/pipeline.<str:file_format>",
        reporting_views.report_export,
        name="report_export",
    ),
    path("klienti/<int:pk>/gdpr/export/", gdpr_views.export, name="gdpr_export"),
    path("klienti/<int:pk>/gdpr/vymazat/", gdpr_views.erase, name="gdpr_erase"),
]
