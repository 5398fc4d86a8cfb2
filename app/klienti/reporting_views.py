from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import reporting, roles


def _manager_only(request):
    if not roles.is_manager(request.user):
        raise Http404


@login_required
@require_GET
def report_page(request):
    _manager_only(request)
    report = reporting.build_report()
    return render(
        request,
        "klienti/reporting/report.html",
        {"report": report, "chart_data": report.chart_data()},
    )


@login_required
@require_GET
def report_export(request, file_format):
    _manager_only(request)
    if file_format not in reporting.EXPORTS:
        raise Http404
    report = reporting.build_report()
    content_type, render_export = reporting.EXPORTS[file_format]
    response = HttpResponse(render_export(report), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="pipeline-{report.day.isoformat()}.{file_format}"'
    )
    return response
