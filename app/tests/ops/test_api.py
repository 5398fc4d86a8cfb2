import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from klienti.models import ApiToken, AuditAction, AuditEntry, Klient, Status

from .fixtures import make_case, valid_birth_number

pytestmark = pytest.mark.django_db

LIST = "/api/klienti/"


def detail(klient, suffix=""):
    return f"/api/klienti/{klient.pk}/{suffix}"


@pytest.fixture
def api():
    return APIClient()


def as_user(user, api=None):
    api = api or APIClient()
    _token, raw = ApiToken.objects.issue(user, "test")
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def new_case_payload(**overrides):
    from datetime import date

    data = {
        "full_name": "Petr Svoboda",
        "birth_number": valid_birth_number(date(1985, 4, 12)),
        "email": "petr.svoboda@seznam.example",
        "phone": "+420 777 111 222",
        "city": "Brno",
        "monthly_income": 61000,
        "property_price": "5400000",
        "loan_amount": "4320000",
        "bank": "kb",
        "financing_purpose": "Rodinný dům",
    }
    data.update(overrides)
    return data


# --- authentication -------------------------------------------------------


def test_anonymous_request_gets_401_with_token_challenge(api):
    response = api.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["type"] == "not_authenticated"


def test_basic_auth_is_not_accepted(api, adviser):
    api.credentials(HTTP_AUTHORIZATION="Basic YWxlbmE6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5LXN0YXBsZQ==")
    assert api.get(LIST).status_code == 401


def test_token_authenticates_and_is_stored_only_hashed(adviser, case):
    token, raw = ApiToken.objects.issue(adviser, "cron")
    assert raw not in (token.key_hash, token.prefix)
    assert token.key_hash != raw and len(token.key_hash) == 64
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_revoked_or_unknown_token_is_refused(adviser):
    from django.utils import timezone

    token, raw = ApiToken.objects.issue(adviser)
    token.revoked_at = timezone.now()
    token.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get(LIST).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token")
    assert api.get(LIST).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token a b")
    assert api.get(LIST).status_code == 401


def test_session_login_works_for_the_browser(client, adviser, case):
    client.force_login(adviser)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["results"][0]["reference"] == case.reference


def test_session_writes_need_the_csrf_token(adviser):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(adviser)
    response = api.post(LIST, new_case_payload(), format="json")
    assert response.status_code == 403


def test_portal_client_cannot_use_the_api(portal_client):
    assert as_user(portal_client).get(LIST).status_code == 403


# --- per-object permissions -------------------------------------------------


def test_adviser_lists_only_own_cases(adviser, case, other_case):
    body = as_user(adviser).get(LIST).json()
    assert [item["id"] for item in body["results"]] == [case.pk]


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("put", ""),
        ("get", "steps/"),
        ("post", "steps/complete-next/"),
        ("post", "reject/"),
        ("get", "gdpr-export/"),
    ],
)
def test_another_advisers_case_answers_404(adviser, other_case, method, suffix):
    api = as_user(adviser)
    response = getattr(api, method)(detail(other_case, suffix), {}, format="json")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_manager_sees_and_edits_every_case(manager, case, other_case):
    api = as_user(manager)
    assert api.get(LIST).json()["count"] == 2
    response = api.patch(detail(other_case), {"city": "Ostrava"}, format="json")
    assert response.status_code == 200
    other_case.refresh_from_db()
    assert other_case.city == "Ostrava"


def test_erased_case_is_gone_from_the_api(manager, case):
    Klient.objects.filter(pk=case.pk).update(status=Status.ERASED)
    assert as_user(manager).get(detail(case)).status_code == 404


# --- create, update, validation ----------------------------------------------


def test_adviser_creates_a_case_owned_by_themself(adviser):
    response = as_user(adviser).post(LIST, new_case_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["adviser"] == adviser.pk
    assert body["current_step"] == 1
    assert body["ltv"] == "80.0"
    klient = Klient.objects.get(pk=body["id"])
    assert klient.steps.count() == 15
    assert AuditEntry.objects.filter(klient_id=klient.pk, action=AuditAction.CREATED).exists()


def test_adviser_cannot_create_for_someone_else(adviser, other_adviser):
    response = as_user(adviser).post(
        LIST, new_case_payload(adviser=other_adviser.pk), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "adviser"


def test_manager_must_name_the_adviser(manager, adviser):
    api = as_user(manager)
    response = api.post(LIST, new_case_payload(), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "adviser", "code": "required", "message": response.json()["errors"][0]["message"]}
    ]
    response = api.post(LIST, new_case_payload(adviser=adviser.pk), format="json")
    assert response.status_code == 201
    assert response.json()["adviser"] == adviser.pk


def test_manager_reassigns_through_the_api_and_it_is_audited(manager, case, other_adviser):
    response = as_user(manager).patch(detail(case), {"adviser": other_adviser.pk}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.adviser == other_adviser
    assert AuditEntry.objects.filter(klient_id=case.pk, action=AuditAction.REASSIGNED).exists()


def test_adviser_cannot_reassign(adviser, other_adviser, case):
    response = as_user(adviser).patch(detail(case), {"adviser": other_adviser.pk}, format="json")
    assert response.status_code == 400


def test_update_records_changed_field_names_not_values(adviser, case):
    response = as_user(adviser).patch(
        detail(case), {"employer": "Komerční banka", "city": case.city}, format="json"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(klient_id=case.pk, action=AuditAction.UPDATED).get()
    assert entry.fields == ["employer"]


def test_validation_errors_are_structured_with_field_names(adviser):
    response = as_user(adviser).post(
        LIST,
        new_case_payload(
            birth_number="850412/0001", email="not-an-email", bank="nobank", loan_amount="-5"
        ),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"birth_number", "email", "bank", "loan_amount"}
    codes = {error["field"]: error["code"] for error in body["errors"]}
    assert codes["birth_number"] == "birth_number_checksum"


@pytest.mark.parametrize(
    "payload",
    [
        {"full_name": "nul \x00 char"},
        {"opened_on": "9999-12-31"},
        {"date_of_birth": "1066-10-14"},
        {"monthly_income": 10**30},
        {"property_price": "1e400"},
        {"full_name": ["list"]},
    ],
)
def test_hostile_input_is_a_400_not_a_500(adviser, payload):
    response = as_user(adviser).post(LIST, new_case_payload(**payload), format="json")
    assert response.status_code == 400, response.content


def test_lone_surrogate_in_json_is_a_400(adviser):
    response = as_user(adviser).generic(
        "POST",
        LIST,
        '{"full_name": "bad \\ud800 x", "birth_number": "x"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "full_name" in {e["field"] for e in response.json()["errors"]}


def test_malformed_json_is_a_400(adviser):
    response = as_user(adviser).generic("POST", LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_form_encoded_body_is_415(adviser):
    response = as_user(adviser).post(LIST, {"full_name": "x"})
    assert response.status_code == 415


# --- list: search, filters, pagination ---------------------------------------


def test_search_by_birth_number_name_and_email_via_blind_index(adviser):
    target = make_case(adviser, full_name="Zdeněk Dvořák", email="zd@seznam.example")
    make_case(adviser)
    api = as_user(adviser)
    for term in ("zdenek dvorak", "ZD@seznam.example", target.birth_number):
        results = api.get(LIST, {"search": term}).json()["results"]
        assert [r["id"] for r in results] == [target.pk], term


def test_filters_and_ordering(adviser):
    from datetime import timedelta

    from django.utils import timezone

    late = make_case(adviser, bank="kb", opened_on=timezone.localdate() - timedelta(days=30))
    fresh = make_case(adviser, bank="csob")
    api = as_user(adviser)

    def ids(**params):
        return [r["id"] for r in api.get(LIST, params).json()["results"]]

    assert ids(bank="kb") == [late.pk]
    assert ids(overdue="true") == [late.pk]
    assert ids(overdue="false") == [fresh.pk]
    assert ids(current_step=1, ordering="opened_on") == [late.pk, fresh.pk]
    assert ids(status="rejected") == []
    assert ids(adviser=adviser.pk, ordering="-id") == [fresh.pk, late.pk]


@pytest.mark.parametrize(
    "params",
    [{"current_step": 16}, {"current_step": "x"}, {"ordering": "full_name"}, {"status": "nope"}],
)
def test_invalid_filters_are_400(adviser, params):
    response = as_user(adviser).get(LIST, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == next(iter(params))


def test_pagination_and_invalid_page(adviser):
    for _ in range(3):
        make_case(adviser)
    api = as_user(adviser)
    body = api.get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert api.get(LIST, {"page": 99}).status_code == 404


@pytest.mark.parametrize("role_user", ["adviser", "manager"])
def test_list_query_count_does_not_grow_with_page_size(role_user, adviser, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(6):
        make_case(adviser)
    api = as_user({"adviser": adviser, "manager": manager}[role_user])

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            results = api.get(LIST, {"page_size": page_size}).json()["results"]
        assert len(results) == page_size
        return len(captured)

    # token, roles, count, the page's keys, the page's rows: whatever the page size
    assert queries(1) == queries(6) <= 5


def test_list_rows_are_slim_and_the_detail_keeps_every_field(adviser, case):
    from klienti.api.serializers import PERSONAL_FIELDS

    api = as_user(adviser)
    row = api.get(LIST).json()["results"][0]
    assert set(row) == {
        "id",
        "reference",
        "status",
        "adviser",
        "opened_on",
        "full_name",
        "loan_amount",
        "ltv",
        "bank",
        "current_step",
        "current_deadline",
    }
    assert row["full_name"] == case.full_name and row["adviser"] == adviser.pk
    assert row["reference"] == case.reference and row["current_step"] == 1
    detail_body = api.get(detail(case)).json()
    assert set(PERSONAL_FIELDS) <= set(detail_body)
    assert detail_body["birth_number"] == case.birth_number


def test_list_reads_no_encrypted_column_but_the_name(adviser, case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from klienti.api.serializers import PERSONAL_FIELDS

    with CaptureQueriesContext(connection) as captured:
        assert as_user(adviser).get(LIST).status_code == 200
    sql = " ".join(q["sql"] for q in captured if "klienti_klient" in q["sql"])
    assert "`klienti_klient`.`full_name`" in sql
    for name in PERSONAL_FIELDS:
        if name != "full_name":
            assert f"`klienti_klient`.`{name}`" not in sql, name


def test_pages_follow_the_order_without_gaps_or_repeats(adviser, other_adviser, manager):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    # Equal opening dates: the id breaks the tie, also across page boundaries.
    for n in range(7):
        make_case(adviser, opened_on=today - timedelta(days=n % 3))
    make_case(other_adviser)
    erased = make_case(adviser)
    Klient.objects.filter(pk=erased.pk).update(status=Status.ERASED)
    order = Klient.objects.exclude(status=Status.ERASED).order_by("-opened_on", "-id")
    everyone = list(order.values_list("pk", flat=True))
    own = list(order.filter(adviser=adviser).values_list("pk", flat=True))
    assert len(everyone) == 8 and len(own) == 7
    for user, visible in ((manager, everyone), (adviser, own)):
        api = as_user(user)
        seen = []
        for page in range(1, 4):
            body = api.get(LIST, {"page_size": 3, "page": page}).json()
            assert body["count"] == len(visible)
            seen += [r["id"] for r in body["results"]]
        assert seen == visible
    ordered = [r["id"] for r in as_user(manager).get(LIST, {"ordering": "-id"}).json()["results"]]
    assert ordered == sorted(everyone, reverse=True)


def test_pagination_passes_lists_through_and_can_be_switched_off(rf):
    from rest_framework.request import Request

    from klienti.api.pagination import CasePagination

    request = Request(rf.get(LIST, {"page_size": 2}))
    assert CasePagination().paginate_queryset([3, 2, 1], request) == [3, 2]
    unpaged = CasePagination()
    unpaged.page_size = None
    assert unpaged.paginate_queryset(Klient.objects.all(), Request(rf.get(LIST))) is None


# --- steps ---------------------------------------------------------------------


def test_steps_lists_all_fifteen_in_order(adviser, case):
    steps = as_user(adviser).get(detail(case, "steps/")).json()
    assert [s["number"] for s in steps] == list(range(1, 16))
    assert steps[0]["name"]
    assert steps[0]["is_done"] is False


def test_complete_next_moves_the_case_on_and_is_audited(adviser, case):
    api = as_user(adviser)
    response = api.post(detail(case, "steps/complete-next/"), {"note": "hotovo"}, format="json")
    assert response.status_code == 200
    assert response.json()["number"] == 1
    assert response.json()["completed_by"] == adviser.username
    case.refresh_from_db()
    assert case.current_step == 2
    assert case.steps.get(number=1).note == "hotovo"
    assert AuditEntry.objects.filter(
        klient_id=case.pk, action=AuditAction.STEP_COMPLETED, step_number=1
    ).exists()


def test_complete_next_on_a_finished_case_is_409(adviser, case):
    api = as_user(adviser)
    for _ in range(15):
        assert api.post(detail(case, "steps/complete-next/"), {}, format="json").status_code == 200
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    response = api.post(detail(case, "steps/complete-next/"), {}, format="json")
    assert response.status_code == 409


def test_reject_needs_a_reason_and_closes_the_case(adviser, case):
    api = as_user(adviser)
    assert api.post(detail(case, "reject/"), {"reason": ""}, format="json").status_code == 400
    response = api.post(detail(case, "reject/"), {"reason": "Nízký příjem"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    response = api.post(detail(case, "reject/"), {"reason": "znovu"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_active"


# --- throttling, schema, docs ----------------------------------------------------


def test_throttling_answers_429(adviser, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    from django.core.cache import cache

    cache.clear()
    api = as_user(adviser)
    codes = [api.get(LIST).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    anonymous = APIClient()
    assert [anonymous.get(LIST).status_code for _ in range(3)] == [401, 401, 429]
    cache.clear()


def test_schema_and_docs_need_a_login(api, adviser):
    assert api.get(reverse("api:schema")).status_code == 401
    assert api.get(reverse("api:docs")).status_code == 401
    api = as_user(adviser)
    schema = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/klienti/" in document["paths"]
    assert "/api/klienti/{id}/steps/complete-next/" in document["paths"]
    assert document["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"
    assert "basicAuth" not in document["components"]["securitySchemes"]
    errors = document["paths"]["/api/klienti/{id}/"]["get"]["responses"]
    assert {"400", "401", "404", "429"} <= set(errors)


def test_docs_page_has_no_inline_script_or_cdn(adviser, client):
    client.force_login(adviser)
    page = client.get(reverse("api:docs")).content.decode()
    assert "<script>" not in page
    assert "<style>" not in page
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
