"""The web UI: dashboard, list, detail, forms, actions, iCalendar, i18n, CSP."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from klienti.models import AuditEntry, Klient, Status
from klienti.steps import STEPS

from .conftest import birth_number, logged_in, new_case

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["klienti:list", "klienti:dashboard"])
def test_query_count_does_not_grow_with_the_number_of_rows(adviser, manager, url_name, settings):
    settings.CASES_PER_PAGE = 25
    new_case(adviser)
    few = count_queries(logged_in(manager), reverse(url_name))
    for _ in range(30):
        new_case(adviser, opened_on=timezone.localdate() - timedelta(days=10))
    many = count_queries(logged_in(manager), reverse(url_name))
    assert many == few
    assert many <= 8


def test_detail_query_count_is_fixed_whatever_the_history(adviser, case):
    client = logged_in(adviser)
    before = count_queries(client, reverse("klienti:detail", args=[case.pk]))
    for number in range(1, 6):
        client.post(reverse("klienti:complete_step", args=[case.pk, number]), {"note": "ok"})
    assert count_queries(client, reverse("klienti:detail", args=[case.pk])) == before


def test_dashboard_shows_overdue_and_this_weeks_deadlines(adviser):
    today = timezone.localdate()
    overdue = new_case(adviser, opened_on=today - timedelta(days=30))
    due = new_case(adviser, opened_on=today - timedelta(days=3))
    page = logged_in(adviser).get(reverse("klienti:dashboard")).content.decode()
    overdue_part, rest = page.split('id="week-h"')
    assert overdue.reference in overdue_part and due.reference not in overdue_part
    assert due.reference in rest.split('id="open-h"')[0]
    assert "Kroky po termínu" in page  # Czech by default


def test_list_filters_sort_and_paginate(adviser, settings):
    settings.CASES_PER_PAGE = 2
    today = timezone.localdate()
    old = new_case(adviser, opened_on=today - timedelta(days=60), bank="csob")
    mid = new_case(adviser, opened_on=today - timedelta(days=20))
    new = new_case(adviser, opened_on=today)
    client = logged_in(adviser)
    first = client.get(reverse("klienti:list")).content.decode()
    assert new.reference in first and mid.reference in first and old.reference not in first
    second = client.get(reverse("klienti:list") + "?page=2").content.decode()
    assert old.reference in second and "Strana 2 z 2" in second
    oldest = client.get(reverse("klienti:list") + "?sort=opened_on").content.decode()
    assert oldest.index(old.reference) < oldest.index(mid.reference)
    by_bank = client.get(reverse("klienti:list") + "?bank=csob").content.decode()
    assert old.reference in by_bank and new.reference not in by_bank
    # The filter fields show what is applied, in the page's language.
    assert '<option value="csob" selected>' in by_bank
    assert '<option value="" selected>' not in by_bank.split('name="bank"')[1].split("</select>")[0]
    assert '<label for="id_bank">Banka:</label>' in by_bank
    english = client.get(reverse("klienti:list") + "?bank=csob", HTTP_ACCEPT_LANGUAGE="en")
    english = english.content.decode()
    assert '<label for="id_bank">Bank:</label>' in english
    overdue = client.get(reverse("klienti:list") + "?overdue=on").content.decode()
    assert old.reference in overdue and new.reference not in overdue
    client.post(reverse("klienti:complete_step", args=[new.pk, 1]))
    step2 = client.get(reverse("klienti:list") + "?step=2").content.decode()
    assert new.reference in step2 and old.reference not in step2
    rejected = client.get(reverse("klienti:list") + "?status=rejected").content.decode()
    assert "0 případů" in rejected
    bad = client.get(reverse("klienti:list") + "?sort=full_name&step=99")
    assert bad.status_code == 200  # invalid filters fall back to the default order


def test_search_by_name_birth_number_and_email_uses_post_and_exact_match(adviser):
    target = new_case(adviser, full_name="Zdeňka Šťastná", email="Zdenka@Example.cz")
    other = new_case(adviser)
    client = logged_in(adviser)
    for term in ["zdenka stastna", target.birth_number, "zdenka@example.cz"]:
        page = client.post(reverse("klienti:list"), {"q": term}).content.decode()
        assert target.reference in page and other.reference not in page, term
    partial = client.post(reverse("klienti:list"), {"q": "Zdeňka"}).content.decode()
    assert target.reference not in partial  # exact match only: a blind index has no prefixes
    # GET never searches: the term would land in access logs.
    page = client.get(reverse("klienti:list") + "?q=zdenka+stastna").content.decode()
    assert other.reference in page


def test_creating_a_case_audits_field_names_and_redirects_to_it(adviser):
    born = timezone.localdate().replace(year=1985, month=3, day=14)
    data = {
        "opened_on": "2026-01-05",
        "full_name": "Karel Malý",
        "birth_number": birth_number(born),
        "date_of_birth": "1985-03-14",
        "email": "karel@example.cz",
        "phone": "+420 777 123 456",
        "postal_code": "110 00",
        "bank_account": "19-123456/0100",
        "monthly_income": "45000",
        "property_price": "5000000",
        "loan_amount": "4000000",
        "bank": "kb",
    }
    response = logged_in(adviser).post(reverse("klienti:create"), data)
    klient = Klient.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "klienti:detail", args=[klient.pk]
    )
    assert klient.adviser == adviser and klient.full_name == "Karel Malý"
    entry = AuditEntry.objects.get(klient_id=klient.pk)
    assert entry.action == "created" and "full_name" in entry.fields and entry.actor == adviser
    assert "Karel" not in str(entry.fields)


def test_form_errors_are_in_czech(adviser):
    data = {
        "opened_on": "2026-01-05",
        "full_name": "",
        "birth_number": "7801011231",
        "postal_code": "1",
        "phone": "abc",
        "bank_account": "123",
        "monthly_income": "-5",
        "property_price": "100",
        "loan_amount": "200",
    }
    page = logged_in(adviser).post(reverse("klienti:create"), data).content.decode()
    assert 'id="id_full_name_error"' in page  # the required-field message
    for message in [
        "Rodné číslo má chybnou kontrolní číslici.",
        "Zadejte PSČ jako pět číslic",
        "Zadejte telefonní číslo",
        "Zadejte účet ve tvaru",
        "Úvěr nemůže být vyšší než cena nemovitosti.",
    ]:
        assert message in page, message
    assert Klient.objects.count() == 0


def test_date_of_birth_must_match_the_birth_number(adviser):
    born = timezone.localdate().replace(year=1990, month=6, day=1)
    data = {"opened_on": "2026-01-05", "full_name": "A B", "birth_number": birth_number(born),
            "date_of_birth": "1990-06-02"}  # fmt: skip
    page = logged_in(adviser).post(reverse("klienti:create"), data).content.decode()
    assert "Datum narození neodpovídá rodnému číslu." in page


def test_editing_records_only_the_changed_field_names(adviser, case):
    client = logged_in(adviser)
    form = client.get(reverse("klienti:edit", args=[case.pk])).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["city"] = "Olomouc"
    data["date_of_birth"] = case.date_of_birth.isoformat()
    response = client.post(reverse("klienti:edit", args=[case.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.city == "Olomouc"
    entry = AuditEntry.objects.filter(klient_id=case.pk, action="updated").get()
    assert entry.fields == ["city"]


def test_completing_steps_in_order_through_to_the_end(adviser, case):
    client = logged_in(adviser)
    out_of_order = client.post(reverse("klienti:complete_step", args=[case.pk, 3]), follow=True)
    assert "Kroky se plní postupně" in out_of_order.content.decode()
    for step in STEPS:
        client.post(reverse("klienti:complete_step", args=[case.pk, step.number]), {"note": ""})
        case.refresh_from_db()
        if step.number == 9:
            assert case.status == Status.APPROVED
    assert case.status == Status.COMPLETED and case.current_step is None and case.closed_at
    assert case.steps.filter(completed_at__isnull=True).count() == 0
    assert case.steps.get(number=4).completed_by == adviser
    assert AuditEntry.objects.filter(klient_id=case.pk, action="step_completed").count() == 15
    again = client.post(reverse("klienti:complete_step", args=[case.pk, 15]), follow=True)
    assert "Posunout lze jen otevřený případ." in again.content.decode()
    assert client.post(reverse("klienti:complete_step", args=[case.pk, 16])).status_code == 302


def test_step_note_and_deadline_changes(adviser, case):
    client = logged_in(adviser)
    client.post(reverse("klienti:step_note", args=[case.pk, 2]), {"note": "Čekáme na výpisy"})
    assert case.steps.get(number=2).note == "Čekáme na výpisy"
    client.post(reverse("klienti:step_deadline", args=[case.pk, 1]), {"deadline": "2030-05-01"})
    case.refresh_from_db()
    assert str(case.current_deadline) == "2030-05-01"
    bad = client.post(
        reverse("klienti:step_deadline", args=[case.pk, 1]), {"deadline": "x"}, follow=True
    )
    assert "Zadejte platné datum." in bad.content.decode()
    bad_note = client.post(
        reverse("klienti:step_note", args=[case.pk, 99]), {"note": "x"}, follow=True
    )
    assert "Poznámku se nepodařilo uložit." in bad_note.content.decode()
    actions = list(
        AuditEntry.objects.filter(klient_id=case.pk).values_list("action", "step_number")
    )
    assert ("note_changed", 2) in actions and ("updated", 1) in actions
    page = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    assert "Čekáme na výpisy" in page and "note_changed" not in page


def test_rejecting_needs_a_reason_and_closes_the_case(adviser, case):
    client = logged_in(adviser)
    assert client.get(reverse("klienti:reject", args=[case.pk])).status_code == 200
    empty = client.post(reverse("klienti:reject", args=[case.pk]), {"reason": "  "})
    assert 'id="id_reason_error"' in empty.content.decode()
    client.post(reverse("klienti:reject", args=[case.pk]), {"reason": "Banka zamítla"})
    case.refresh_from_db()
    assert case.status == Status.REJECTED and case.rejection_reason == "Banka zamítla"
    assert case.current_step is None
    twice = client.post(reverse("klienti:reject", args=[case.pk]), {"reason": "znovu"}, follow=True)
    assert "Zamítnout lze jen otevřený případ." in twice.content.decode()


def test_deleting_a_case_keeps_its_audit_trail(adviser, case):
    client = logged_in(adviser)
    assert client.get(reverse("klienti:delete", args=[case.pk])).status_code == 200
    client.post(reverse("klienti:delete", args=[case.pk]))
    assert not Klient.objects.filter(pk=case.pk).exists()
    actions = set(AuditEntry.objects.filter(klient_id=case.pk).values_list("action", flat=True))
    assert actions == {"created", "deleted"}


def test_ics_lists_open_deadlines_without_personal_data(adviser, case):
    client = logged_in(adviser)
    client.post(reverse("klienti:complete_step", args=[case.pk, 1]))
    response = client.get(reverse("klienti:ics", args=[case.pk]))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="{case.reference}.ics"' in response["Content-Disposition"]
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 14
    step2 = case.steps.get(number=2).deadline.strftime("%Y%m%d")
    assert f"DTSTART;VALUE=DATE:{step2}" in body
    assert case.full_name not in body and case.birth_number not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_pages_switch_to_english(adviser, case):
    client = logged_in(adviser)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    assert "What the client wants to finance" in page and "Complete this step" in page
    assert '<html lang="en">' in page


def test_pages_send_csp_and_contain_no_inline_script_or_style(adviser, case):
    client = logged_in(adviser)
    urls = [reverse("klienti:dashboard"), reverse("klienti:list"), reverse("klienti:create")]
    for url in [*urls, reverse("klienti:detail", args=[case.pk]), "/login/"]:
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "style=" not in html and "<style" not in html, url
        assert "http://" not in html and "https://" not in html, url  # no CDN


def test_home_routes_each_role(adviser, portal_user):
    assert logged_in(adviser).get("/").url == reverse("klienti:dashboard")
    assert logged_in(portal_user).get("/").url == reverse("klienti:portal")


def test_static_css_is_served_by_the_app(client):
    response = client.get("/static/klienti/css/app.css")
    assert response.status_code == 200


def test_managers_unfiltered_count_leaves_out_erased_cases(adviser, manager, settings):
    settings.CASES_PER_PAGE = 2
    cases = [new_case(adviser) for _ in range(5)]
    Klient.objects.filter(pk=cases[0].pk).update(status=Status.ERASED)
    Klient.objects.filter(pk=cases[1].pk).update(status=Status.REJECTED)
    client = logged_in(manager)
    everything = client.get(reverse("klienti:list") + "?page=2&sort=opened_on").content.decode()
    assert "4 případy" in everything and "Strana 2 z 2" in everything
    pages = [client.get(reverse("klienti:list") + f"?page={n}").content.decode() for n in (1, 2)]
    assert cases[0].reference not in "".join(pages)
    # A filter counts the rows it selects, not the whole table.
    rejected = client.get(reverse("klienti:list") + "?status=rejected").content.decode()
    assert '<p class="count">1 případ</p>' in rejected and 'rel="next"' not in rejected
