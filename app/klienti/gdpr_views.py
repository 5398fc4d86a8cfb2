"""GDPR actions in the web UI: export for the case's adviser or a manager,
erasure for managers. Cases come through klienti.access (others' are 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import access, gdpr, roles


@login_required
@require_http_methods(["GET"])
def export(request, pk):
    if not access.can_use_crm(request.user):
        raise Http404
    klient = get_object_or_404(access.cases_visible_to(request.user), pk=pk)
    filename, content = gdpr.export_case(request.user, klient)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase(request, pk):
    if not roles.is_manager(request.user):
        raise Http404
    klient = get_object_or_404(access.cases_editable_by(request.user), pk=pk)
    if request.method == "POST":
        gdpr.erase_case(request.user, klient)
        messages.success(request, _("The case's personal data was erased."))
        return redirect("klienti:dashboard")
    return render(request, "klienti/gdpr_erase_confirm.html", {"klient": klient})
