"""Fixtures of the API, GDPR, notification, reporting and health tests."""

from .fixtures import (  # noqa: F401
    adviser,
    case,
    manager,
    other_adviser,
    other_case,
    portal_client,
)
from .smtp_sink import smtp_server  # noqa: F401
