"""Property-based fuzzing of the REST API from its own OpenAPI schema.

Schemathesis generates valid and invalid requests for every operation and
sends them over HTTP to the app served on loopback (pytest-django's live
server); no answer may be a 5xx or disagree with the schema (status code,
content type, body). Bounded: a fixed number of examples per operation."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from klienti.models import ApiToken

from .fixtures import make_case, make_user

EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_target(live_server, settings):
    assert live_server.url.startswith("http://localhost:")
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    adviser = make_user("fuzzer", "poradce")
    for _ in range(3):
        make_case(adviser)
    _token, raw = ApiToken.objects.issue(adviser, "fuzz")
    return live_server.url, {"Authorization": f"Token {raw}"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_errors_and_matches_its_schema(fuzz_target, mode):
    base_url, headers = fuzz_target
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/?format=json", headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # list, create, retrieve, update x2, steps, complete-next, ...
    fuzzed = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case):
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

        try:
            fuzz()
            fuzzed += 1
        except Unsatisfiable:
            # Nothing about this operation can be made invalid (no body, no
            # query); its positive run covers it.
            assert mode == GenerationMode.NEGATIVE, operation.label
    assert fuzzed >= len(operations) // 2
