"""Links of the web UI to the GDPR actions and the reporting page, by role;
the case list's pagination and the lightweight select widget."""

import re
from datetime import timedelta

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klienti.forms import CaseFilterForm, FastSelect, ReassignForm
from klienti.models import Klient, Status
from klienti.templatetags.case_labels import bank_label, status_label, step_name

from .conftest import logged_in, new_case

pytestmark = pytest.mark.django_db

REPORTS_LINK = re.compile(r'<a href="/reporty/">([^<]+)</a>')


def detail(user, case) -> str:
    response = logged_in(user).get(reverse("klienti:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def export_url(case):
    return reverse("operations:gdpr_export", args=[case.pk])


def erase_url(case):
    return reverse("operations:gdpr_erase", args=[case.pk])


def test_adviser_sees_the_export_link_but_not_the_erasure(adviser, case):
    page = detail(adviser, case)
    assert f'href="{export_url(case)}"' in page
    assert "Export GDPR (ZIP)" in page
    assert erase_url(case) not in page


def test_manager_sees_export_and_erasure(manager, case):
    page = detail(manager, case)
    assert f'href="{export_url(case)}"' in page
    assert f'href="{erase_url(case)}"' in page
    assert "Vymazat osobní údaje" in page


def test_another_advisers_case_still_answers_404(other_adviser, case):
    client = logged_in(other_adviser)
    assert client.get(reverse("klienti:detail", args=[case.pk])).status_code == 404
    assert client.get(export_url(case)).status_code == 404


def test_the_export_link_downloads_the_zip(adviser, case):
    response = logged_in(adviser).get(export_url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"


def test_erasure_link_leads_to_a_confirmation_form_with_post_and_csrf(manager, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    confirm = client.get(erase_url(case))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    form = re.search(r"<form[^>]*>.*?</form>", page[page.index("<main") :], re.S).group(0)
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'href="{reverse("klienti:detail", args=[case.pk])}"' in form  # cancel
    # Showing the form changes nothing; a POST without the token is refused.
    assert Klient.objects.get(pk=case.pk).status == Status.OPEN
    assert client.post(erase_url(case)).status_code == 403
    assert Klient.objects.get(pk=case.pk).status == Status.OPEN
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert client.post(erase_url(case), {"csrfmiddlewaretoken": token}).status_code == 302
    assert Klient.objects.get(pk=case.pk).status == Status.ERASED


def test_reports_menu_entry_for_managers_only(manager, adviser, portal_user):
    page = logged_in(manager).get(reverse("klienti:dashboard")).content.decode()
    assert REPORTS_LINK.findall(page) == ["Reporty"]
    for user, url in ((adviser, "klienti:dashboard"), (portal_user, "klienti:portal")):
        response = logged_in(user).get(reverse(url))
        assert response.status_code == 200
        assert "/reporty/" not in response.content.decode()


def test_links_in_english(manager, case):
    client = logged_in(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/prehled/"})
    page = client.get(reverse("klienti:dashboard")).content.decode()
    assert REPORTS_LINK.findall(page) == ["Reports"]
    page = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    assert "GDPR export (ZIP)" in page and "Erase personal data" in page


def test_pages_of_the_list_cover_every_case_once_in_order(adviser, manager, settings):
    settings.CASES_PER_PAGE = 4
    today = timezone.localdate()
    cases = [new_case(adviser, opened_on=today - timedelta(days=n % 5)) for n in range(10)]
    expected = [
        k.reference
        for k in Klient.objects.filter(pk__in=[c.pk for c in cases]).order_by("-opened_on", "-id")
    ]
    client = logged_in(manager)
    seen = []
    for number in (1, 2, 3):
        page = client.get(reverse("klienti:list") + f"?page={number}").content.decode()
        seen += re.findall(r">(HYP-\d{6})</a>", page)
    assert seen == expected
    # Out-of-range page numbers show the last page, as before.
    last = client.get(reverse("klienti:list") + "?page=99").content.decode()
    assert re.findall(r">(HYP-\d{6})</a>", last) == expected[8:]


def test_fast_select_renders_exactly_like_djangos_select(adviser, other_adviser):
    translation.activate("cs")
    bound = CaseFilterForm({"status": "open", "step": "3", "bank": "kb", "sort": '"<x>'})
    bound.is_valid()
    for form in (CaseFilterForm(), bound, ReassignForm()):
        for name, field in form.fields.items():
            if not isinstance(field.widget, FastSelect):
                continue
            fast = str(form[name])
            field.widget.__class__ = forms.Select
            try:
                assert fast == str(form[name])
            finally:
                field.widget.__class__ = FastSelect
    grouped = FastSelect(choices=[("A", [("1", "one")]), ("2", "<two>")], attrs={"x": True})
    rendered = grouped.render("g", "1", {"hidden": False})
    assert rendered == forms.Select(choices=grouped.choices, attrs={"x": True}).render(
        "g", "1", {"hidden": False}
    )


def test_case_label_filters():
    translation.activate("cs")
    assert str(status_label("open")) == "Otevřený"
    assert str(step_name(9)) == "Schvalování"
    assert bank_label("kb") == "Komerční banka"
    assert status_label("unknown") == "unknown"
    assert step_name(None) is None
    assert bank_label("") == ""
