"""Per-object access for every role: another adviser's case answers 404."""

import pytest
from django.urls import reverse

from klienti import access, services
from klienti.models import AuditEntry, Klient

from .conftest import logged_in, new_case

pytestmark = pytest.mark.django_db

CASE_PAGES = ["klienti:detail", "klienti:edit", "klienti:reject", "klienti:delete", "klienti:ics"]
CASE_ACTIONS = ["klienti:complete_step", "klienti:step_note", "klienti:step_deadline"]


def _urls(pk):
    pages = [reverse(name, args=[pk]) for name in CASE_PAGES]
    actions = [reverse(name, args=[pk, 1]) for name in CASE_ACTIONS]
    return pages, actions + [reverse("klienti:reassign", args=[pk])]


def test_an_adviser_gets_404_for_every_page_and_action_on_another_advisers_case(
    adviser, other_case
):
    client = logged_in(adviser)
    pages, actions = _urls(other_case.pk)
    for url in pages:
        assert client.get(url).status_code == 404, url
    for url in actions + [reverse("klienti:edit", args=[other_case.pk])]:
        assert client.post(url, {"note": "x", "deadline": "2030-01-01"}).status_code == 404, url
    assert client.post(reverse("klienti:delete", args=[other_case.pk])).status_code == 404
    other_case.refresh_from_db()
    assert other_case.current_step == 1
    assert not AuditEntry.objects.filter(klient_id=other_case.pk).exclude(action="created").exists()


def test_an_adviser_sees_only_own_cases_in_lists_and_search(adviser, case, other_case):
    client = logged_in(adviser)
    listing = client.get(reverse("klienti:list")).content.decode()
    assert case.reference in listing and other_case.reference not in listing
    found = client.post(reverse("klienti:list"), {"q": other_case.full_name}).content.decode()
    assert other_case.reference not in found
    dashboard = client.get(reverse("klienti:dashboard")).content.decode()
    assert other_case.reference not in dashboard


def test_a_manager_sees_and_reassigns_any_case(manager, case, other_adviser):
    client = logged_in(manager)
    assert client.get(reverse("klienti:detail", args=[case.pk])).status_code == 200
    response = client.post(
        reverse("klienti:reassign", args=[case.pk]), {"adviser": other_adviser.pk}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.adviser == other_adviser
    assert AuditEntry.objects.get(klient_id=case.pk, action="reassigned").fields == ["adviser"]


def test_reassigning_is_a_page_of_its_own_showing_the_current_adviser(manager, case, other_adviser):
    client = logged_in(manager)
    detail = client.get(reverse("klienti:detail", args=[case.pk])).content.decode()
    url = reverse("klienti:reassign", args=[case.pk])
    assert f'href="{url}"' in detail and 'name="adviser"' not in detail
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{case.adviser_id}" selected>' in html
    assert f'<option value="{other_adviser.pk}">' in html
    refused = client.post(url, {"adviser": manager.pk})  # not an adviser
    assert refused.status_code == 400
    assert 'role="alert"' in refused.content.decode()
    case.refresh_from_db()
    assert case.adviser != manager


def test_an_adviser_cannot_reassign_even_own_case(adviser, other_adviser, case):
    client = logged_in(adviser)
    response = client.post(
        reverse("klienti:reassign", args=[case.pk]), {"adviser": other_adviser.pk}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.adviser == adviser


def test_reassigning_refuses_a_non_manager_and_a_non_adviser(manager, adviser, case):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.reassign_case(adviser, case, adviser)
    with pytest.raises(ValidationError):
        services.reassign_case(manager, case, manager)


def test_a_portal_client_sees_only_their_own_case_read_only(portal_user, adviser):
    own = new_case(adviser, portal_user=portal_user)
    foreign = new_case(adviser)
    client = logged_in(portal_user)
    page = client.get(reverse("klienti:portal")).content.decode()
    assert own.reference in page and foreign.reference not in page
    assert "Co chce klient financovat" in page
    assert own.birth_number not in page  # progress only, no personal data
    # The CRM's case pages do not exist for clients, not even for their own case.
    assert client.get(reverse("klienti:home")).url == reverse("klienti:portal")
    assert client.get(reverse("klienti:detail", args=[own.pk])).status_code == 404
    assert client.get(reverse("klienti:detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("klienti:complete_step", args=[own.pk, 1])).status_code == 404
    own.refresh_from_db()
    assert own.current_step == 1
    assert list(access.cases_editable_by(portal_user)) == []


def test_an_administrator_has_no_access_to_cases_in_the_crm(administrator, case):
    assert list(access.cases_visible_to(administrator)) == []
    assert not access.can_use_crm(administrator)


def test_a_user_without_a_role_sees_nothing(db, case):
    from .conftest import new_user

    nobody = new_user("nobody")
    client = logged_in(nobody)
    assert client.get(reverse("klienti:detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("klienti:home")).status_code == 403
    assert client.get(reverse("klienti:portal")).status_code == 403
    assert access.cases_visible_to(nobody).count() == 0


def test_anonymous_users_are_sent_to_the_login(case):
    from django.test import Client

    client = Client()
    for url in [reverse("klienti:dashboard"), reverse("klienti:list"), *_urls(case.pk)[0]]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_erased_cases_are_invisible_to_everyone(manager, case):
    Klient.objects.filter(pk=case.pk).update(status="erased")
    assert logged_in(manager).get(reverse("klienti:detail", args=[case.pk])).status_code == 404
