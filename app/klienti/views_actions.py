"""Pages and actions that change cases. Each fetches the case through the
caller's own queryset first, so another adviser's case is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, ics, roles, services
from .forms import (
    CompleteStepForm,
    KlientForm,
    ReassignForm,
    RejectForm,
    StepDeadlineForm,
    StepNoteForm,
)
from .models import Klient
from .steps import STEP_NUMBERS
from .views import crm_user_required


def _editable_case(request, pk) -> Klient:
    return get_object_or_404(access.cases_editable_by(request.user), pk=pk)


def _validation_messages(request, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_create(request):
    form = KlientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        klient = form.save(commit=False)
        # Managers open cases for themselves too; reassigning is a separate act.
        klient.adviser = request.user
        services.create_case(request.user, klient)
        messages.success(request, _("Case %(ref)s was created.") % {"ref": klient.reference})
        return redirect("klienti:detail", pk=klient.pk)
    return render(request, "klienti/case_form.html", {"form": form, "klient": None})


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_edit(request, pk):
    klient = _editable_case(request, pk)
    form = KlientForm(request.POST or None, instance=klient)
    if request.method == "POST" and form.is_valid():
        services.update_case(request.user, form.save(commit=False), form.changed_data)
        messages.success(request, _("The case was saved."))
        return redirect("klienti:detail", pk=klient.pk)
    return render(request, "klienti/case_form.html", {"form": form, "klient": klient})


@crm_user_required
@require_POST
def complete_step(request, pk, number):
    klient = _editable_case(request, pk)
    form = CompleteStepForm(request.POST)
    if number not in STEP_NUMBERS or not form.is_valid():
        messages.error(request, _("The step could not be completed."))
        return redirect("klienti:detail", pk=klient.pk)
    try:
        services.complete_step(request.user, klient, number, note=form.cleaned_data["note"] or None)
    except ValidationError as error:
        _validation_messages(request, error)
    else:
        messages.success(request, _("Step %(number)s is done.") % {"number": number})
    return redirect("klienti:detail", pk=klient.pk)


@crm_user_required
@require_POST
def step_note(request, pk, number):
    klient = _editable_case(request, pk)
    form = StepNoteForm(request.POST)
    if number in STEP_NUMBERS and form.is_valid():
        services.set_step_note(request.user, klient, number, form.cleaned_data["note"])
        messages.success(request, _("The note was saved."))
    else:
        messages.error(request, _("The note could not be saved."))
    return redirect("klienti:detail", pk=klient.pk)


@crm_user_required
@require_POST
def step_deadline(request, pk, number):
    klient = _editable_case(request, pk)
    form = StepDeadlineForm(request.POST)
    if number in STEP_NUMBERS and form.is_valid():
        services.set_step_deadline(request.user, klient, number, form.cleaned_data["deadline"])
        messages.success(request, _("The deadline was changed."))
    else:
        messages.error(request, _("Enter a valid date."))
    return redirect("klienti:detail", pk=klient.pk)


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_reject(request, pk):
    klient = _editable_case(request, pk)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reject_case(request.user, klient, form.cleaned_data["reason"])
        except ValidationError as error:
            _validation_messages(request, error)
        else:
            messages.success(request, _("The case was marked as rejected."))
        return redirect("klienti:detail", pk=klient.pk)
    return render(request, "klienti/case_reject.html", {"form": form, "klient": klient})


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_reassign(request, pk):
    """Its own page, like rejecting: the case page does not build the list
    of every adviser for an action managers take now and then."""
    if not roles.is_manager(request.user):
        # Advisers cannot reassign; answer as if the action did not exist.
        return HttpResponse(status=404)
    klient = _editable_case(request, pk)
    form = ReassignForm(request.POST or None, initial={"adviser": klient.adviser_id})
    if request.method == "POST" and form.is_valid():
        services.reassign_case(request.user, klient, form.cleaned_data["adviser"])
        messages.success(request, _("The case was reassigned."))
        return redirect("klienti:detail", pk=klient.pk)
    context = {"form": form, "klient": klient}
    status = 400 if request.method == "POST" else 200
    return render(request, "klienti/case_reassign.html", context, status=status)


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_delete(request, pk):
    klient = _editable_case(request, pk)
    if request.method == "POST":
        reference = klient.reference
        services.delete_case(request.user, klient)
        messages.success(request, _("Case %(ref)s was deleted.") % {"ref": reference})
        return redirect("klienti:list")
    return render(request, "klienti/case_confirm_delete.html", {"klient": klient})


@crm_user_required
@require_GET
def case_ics(request, pk):
    klient = get_object_or_404(access.cases_visible_to(request.user), pk=pk)
    steps = list(klient.steps.only("number", "deadline", "completed_at").order_by("number"))
    response = HttpResponse(
        ics.case_calendar(klient, steps), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{klient.reference}.ics"'
    return response
