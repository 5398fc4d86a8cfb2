"""Pages that show cases: dashboard, list with search, detail, client portal."""

from datetime import timedelta
from functools import lru_cache, partial
from types import MappingProxyType

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.http import require_http_methods

from . import access, audit, roles
from .blind_index import search_indexes
from .forms import CaseFilterForm, SearchForm
from .models import ACTIVE_STATUSES
from .steps import get_step

# Columns a list row shows: loading only these keeps the other 13 encrypted
# fields out of the query and saves their decryption.
LIST_COLUMNS = (
    "id",
    "full_name",
    "status",
    "opened_on",
    "current_step",
    "current_deadline",
    "bank",
    "loan_amount",
    "ltv",
    "adviser_id",
)
DASHBOARD_ROWS = 15
# The dashboard, the list and the detail are rendered by Jinja2 (hypoteky.jinja2).
FAST_TEMPLATES = "jinja2"


def crm_user_required(view):
    """Advisers and managers only. For anyone else the CRM's pages do not
    exist (404), like another adviser's case; `home` sends them where they belong."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.can_use_crm(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _list_queryset(user):
    # No join with the user table: with it MariaDB sorts all visible cases in a
    # temporary table instead of reading the (opened_on, id) index in order.
    return access.cases_visible_to(user).only(*LIST_COLUMNS)


class DeferredJoinPaginator(Paginator):
    """Page numbers with a deferred join: the page's primary keys first, from a
    query MariaDB answers from the (opened_on, id, status) index alone, then
    only those rows. Selecting the rows directly with LIMIT/OFFSET makes MariaDB
    read (or sort) every row before the offset, on the last page all of them."""

    def __init__(self, object_list, per_page, counter=None):
        super().__init__(object_list, per_page)
        self.counter = counter

    @cached_property
    def count(self):
        """`counter()` when the caller knows a cheaper way to count the same rows."""
        return self.counter() if self.counter else super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # Same queryset (same visibility filter), restricted to the page's keys.
        by_pk = {row.pk: row for row in self.object_list.filter(pk__in=keys).order_by()}
        # A row deleted between the two queries is simply left out.
        rows = [by_pk[pk] for pk in keys if pk in by_pk]
        return self._get_page(rows, number, self)


def _with_advisers(cases):
    """Attach the advisers of a page of cases with one query, whatever the page size."""
    cases = list(cases)
    ids = {k.adviser_id for k in cases}
    users = get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    by_id = {u.pk: u for u in users} if ids else {}
    for klient in cases:
        klient.adviser = by_id[klient.adviser_id]
    return cases


@login_required
def home(request):
    if access.can_use_crm(request.user):
        return redirect("klienti:dashboard")
    if roles.is_portal_client(request.user):
        return redirect("klienti:portal")
    if request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied


@crm_user_required
def dashboard(request):
    today = timezone.localdate()
    week_end = today + timedelta(days=7)
    active = _list_queryset(request.user).filter(status__in=ACTIVE_STATUSES)
    by_deadline = ("current_deadline", "id")
    overdue = list(
        active.filter(current_deadline__lt=today).order_by(*by_deadline)[:DASHBOARD_ROWS]
    )
    this_week = active.filter(current_deadline__gte=today, current_deadline__lte=week_end)
    due_this_week = list(this_week.order_by(*by_deadline)[:DASHBOARD_ROWS])
    recent = list(active.order_by("-opened_on", "-id")[:DASHBOARD_ROWS])
    if roles.is_manager(request.user):
        _with_advisers(overdue + due_this_week + recent)
    context = {
        "today": today,
        "overdue": overdue,
        "due_this_week": due_this_week,
        "recent": recent,
    }
    return render(request, "klienti/dashboard.html", context, using=FAST_TEMPLATES)


def _filter_data(query):
    """The filter fields of a query string, as a hashable key (`page` is not one)."""
    return tuple(
        (name, tuple(query.getlist(name))) for name in CaseFilterForm.base_fields if name in query
    )


def _filter_form(data):
    return CaseFilterForm(MultiValueDict({name: list(values) for name, values in data}) or None)


@lru_cache(maxsize=256)
def _filters_html(language, data):
    """The filter form's fields as HTML for one language and one set of
    filter values. The same few combinations come back on nearly every list
    view, and rendering their 40-odd options cost a seventh of the page.
    Filters are never personal data (the search term travels apart, by POST);
    the cache is bounded, and a key is what the form was given."""
    form = _filter_form(data)
    return format_html_join(
        "\n",
        '<div class="field"><label for="{}">{}{}</label> {}</div>',
        ((field.id_for_label, field.label, form.label_suffix, field) for field in form),
    )


def filters_html(query):
    """The filter fields for this request's query string (see _filters_html)."""
    return _filters_html(get_language(), _filter_data(query))


@lru_cache(maxsize=256)
def _cleaned_filters(data):
    """The valid filter values for these fields, or None: validating builds a
    form, whose deep copy of its fields and choices cost a quarter of a
    millisecond, for the same few combinations (see _filters_html)."""
    form = _filter_form(data)
    return MappingProxyType(form.cleaned_data) if form.is_valid() else None


@crm_user_required
@require_http_methods(["GET", "POST"])
def case_list(request):
    qs = _list_queryset(request.user)
    data = _cleaned_filters(_filter_data(request.GET))
    search = SearchForm(request.POST or None)
    searching = False
    narrowed = False
    if data is not None:
        # Every field but the order narrows the list, a filter added later too.
        narrowed = any(value for name, value in data.items() if name != "sort")
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["step"]:
            qs = qs.filter(current_step=data["step"])
        if data["bank"]:
            qs = qs.filter(bank=data["bank"])
        if data["overdue"]:
            qs = qs.filter(status__in=ACTIVE_STATUSES, current_deadline__lt=timezone.localdate())
        sort = data["sort"] or "-opened_on"
    else:
        sort = "-opened_on"
    if request.method == "POST" and search.is_valid():
        searching = True
        hashes = search_indexes(search.cleaned_data["q"])
        qs = qs.filter(
            Q(name_index__in=hashes) | Q(email_index__in=hashes) | Q(birth_number_index__in=hashes)
        )
    qs = qs.order_by(sort, "-id")
    # Unnarrowed, the list is what the user sees, which access counts cheaper.
    counter = None if narrowed or searching else partial(access.count_visible_to, request.user)
    paginator = DeferredJoinPaginator(qs, settings.CASES_PER_PAGE, counter=counter)
    page = paginator.get_page(request.GET.get("page"))
    if roles.is_manager(request.user):
        page.object_list = _with_advisers(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    count = page.paginator.count
    return render(
        request,
        "klienti/case_list.html",
        {
            "page": page,
            "count_text": ngettext("%(counter)s case", "%(counter)s cases", count)
            % {"counter": count},
            "page_text": gettext("Page %(number)s of %(total)s")
            % {"number": page.number, "total": page.paginator.num_pages},
            "filters_html": filters_html(request.GET),
            "search": search,
            "searching": searching,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
        using=FAST_TEMPLATES,
    )


@crm_user_required
def case_detail(request, pk):
    klient = get_object_or_404(
        access.cases_visible_to(request.user).select_related("adviser"), pk=pk
    )
    steps = list(klient.steps.select_related("completed_by").order_by("number"))
    today = timezone.localdate()
    for step in steps:
        step.is_current = step.number == klient.current_step
        step.is_overdue = step.completed_at is None and step.deadline < today and klient.is_active
    can_edit = access.can_use_crm(request.user)
    return render(
        request,
        "klienti/case_detail.html",
        {
            "klient": klient,
            "steps": steps,
            "history": audit.history(klient.pk, limit=50),
            "can_edit": can_edit,
            # The same rules as klienti.gdpr_views: export for whoever may use the
            # CRM and sees the case, erasure for managers only.
            "can_export": access.can_use_crm(request.user),
            "can_erase": roles.is_manager(request.user),
            "can_reassign": roles.is_manager(request.user),
            "today": today,
        },
        using=FAST_TEMPLATES,
    )


@login_required
def portal(request):
    """The client's read-only view of their own case's progress."""
    if not roles.is_portal_client(request.user):
        raise PermissionDenied
    cases = list(access.cases_visible_to(request.user).only("id", "status", "current_step"))
    steps_by_case = {}
    for klient in cases:
        steps = list(klient.steps.only("number", "deadline", "completed_at").order_by("number"))
        for step in steps:
            step.definition = get_step(step.number)
        steps_by_case[klient.pk] = steps
    return render(
        request,
        "klienti/portal.html",
        {"cases": [(k, steps_by_case[k.pk]) for k in cases]},
    )
