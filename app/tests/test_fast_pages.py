"""The Jinja2 pages (dashboard, list, detail) show what the Django templates
showed: localised dates and numbers, escaped values, working form actions."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse, set_script_prefix
from django.utils import formats, timezone, translation

from hypoteky.jinja2 import date, number, url
from klienti.forms import FastSelect, ReassignForm, advisers
from klienti.templatetags.case_labels import status_label, step_name

from .conftest import logged_in, new_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("klienti:detail", (7,)),
        ("klienti:detail", (1234567,)),
        ("klienti:step_note", (42, 15)),
        ("klienti:complete_step", (9, 1)),
        ("klienti:list", ()),
    ],
)
def test_url_builds_what_reverse_returns(name, args):
    assert url(name, *args) == reverse(name, args=args)


def test_url_follows_the_script_prefix():
    try:
        set_script_prefix("/crm/")
        assert url("klienti:detail", 5) == "/crm/klienti/5/" == reverse("klienti:detail", args=[5])
    finally:
        set_script_prefix("/")
    assert url("klienti:detail", 5) == "/klienti/5/"


def test_url_passes_other_arguments_to_reverse():
    assert url("klienti:detail", "12") == reverse("klienti:detail", args=["12"])


def test_dates_and_numbers_are_localised():
    with translation.override("cs"):
        assert number(Decimal("80.5")) == "80,5"
        assert date(datetime(2026, 3, 1).date()) == "01.03.2026"
    with translation.override("en"):
        assert number(Decimal("80.5")) == "80.5"
        assert date(datetime(2026, 3, 1).date()) == "03/01/2026"
    assert number(None) == "–"
    assert date(None) == ""


@pytest.mark.parametrize("language", ["cs", "en"])
@pytest.mark.parametrize(
    "value", [Decimal("1234567.50"), Decimal("-0.5"), 4200000, 12.25, True, "text"]
)
def test_numbers_as_django_localises_them(language, value):
    with translation.override(language):
        assert number(value) == formats.localize(value)


def test_aware_datetimes_are_shown_in_prague_time():
    utc_evening = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    with translation.override("cs"):
        assert date(utc_evening, "SHORT_DATETIME_FORMAT") == "02.07.2026 0:30"


def test_detail_shows_the_case_in_czech_with_one_csrf_token(adviser, case):
    page = logged_in(adviser).get(reverse("klienti:detail", args=[case.pk])).content.decode()
    assert case.full_name in page and "80,0" in page  # LTV with a decimal comma
    assert "Rodinný dům v Líšni" in page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    for number_ in range(1, 16):
        assert f'action="/klienti/{case.pk}/kroky/{number_}/poznamka/"' in page
    assert f'action="/klienti/{case.pk}/kroky/1/splnit/"' in page
    assert f'action="/klienti/{case.pk}/kroky/2/splnit/"' not in page


def test_detail_forms_post_back_with_the_page_token(adviser, case):
    client = logged_in(adviser)
    client.handler.enforce_csrf_checks = True
    page = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(
        reverse("klienti:complete_step", args=[case.pk, 1]),
        {"csrfmiddlewaretoken": token, "note": "hotovo"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_step == 2


def test_detail_shows_a_completed_step_right_after_completion(adviser, case):
    client = logged_in(adviser)
    client.post(reverse("klienti:complete_step", args=[case.pk, 1]), {"note": "<b>ověřeno</b>"})
    page = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    assert "&lt;b&gt;ověřeno&lt;/b&gt;" in page and "<b>ověřeno" not in page
    assert f'action="/klienti/{case.pk}/kroky/2/splnit/"' in page
    assert "Adam Adviser" in page  # who completed it


def test_values_are_escaped_in_lists(adviser):
    new_case(adviser, full_name="Eva <script>Nováková</script>")
    client = logged_in(adviser)
    for name in ("klienti:list", "klienti:dashboard"):
        page = client.get(reverse(name)).content.decode()
        assert "Eva &lt;script&gt;Nováková&lt;/script&gt;" in page
        assert "<script>" not in page


def test_list_counts_and_pages_in_both_languages(adviser, settings):
    settings.CASES_PER_PAGE = 2
    for days in range(3):
        new_case(adviser, opened_on=timezone.localdate() - timedelta(days=days))
    client = logged_in(adviser)
    page = client.get(reverse("klienti:list")).content.decode()
    assert "3 případy" in page and "Strana 1 z 2" in page
    assert '<label for="id_status">Stav:</label>' in page
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("klienti:list") + "?page=2").content.decode()
    assert "3 cases" in page and "Page 2 of 2" in page and 'lang="en"' in page


def test_fast_select_matches_djangos_select_for_plain_choices():
    choices = [(None, "none"), ("1", "<one>"), ("1", "again"), (2, "two")]
    for value in (None, "1", 2, "missing"):
        fast = FastSelect(choices=choices, attrs={"x": True}).render("n", value, {"id": "i"})
        django = forms.Select(choices=choices, attrs={"x": True}).render("n", value, {"id": "i"})
        assert fast == django


def test_label_filters_follow_the_active_language():
    with translation.override("cs"):
        assert status_label("open") == "Otevřený"
    with translation.override("en"):
        assert status_label("open") == "Open" and step_name(9) == "Underwriting"


def test_reassign_select_lists_the_advisers_as_a_model_choice_field_would(adviser, other_adviser):
    other_adviser.first_name = other_adviser.last_name = ""
    other_adviser.save()
    field = forms.ModelChoiceField(queryset=advisers())
    field.label_from_instance = lambda u: u.get_full_name() or u.username
    expected = forms.Select(choices=field.choices).render("adviser", None)
    form = ReassignForm()
    assert form.fields["adviser"].widget.render("adviser", None) == expected
    assert other_adviser.username in expected


def test_reassign_form_accepts_only_active_advisers(adviser, manager):
    assert ReassignForm({"adviser": adviser.pk}).is_valid()
    assert not ReassignForm({"adviser": manager.pk}).is_valid()
