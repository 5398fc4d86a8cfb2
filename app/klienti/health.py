"""/healthz and /readyz: JSON probes for load balancers, systemd and deploys.

Answered by a middleware placed first, before host validation, the HTTPS
redirect, sessions and 2FA: a probe on 127.0.0.1 over plain HTTP must get
the real answer, not a redirect or a login page. Neither probe reveals
personal data; failures name the check and an exception class, no values.
"""

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from .checks import readiness

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})
READY_PATHS = frozenset({"/readyz", "/readyz/"})


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "detail": f"unreachable: {type(exc).__name__}"}
    return {"ok": True, "detail": "ok"}


def check_migrations() -> dict:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return {"ok": False, "detail": f"cannot read migrations: {type(exc).__name__}"}
    if plan:
        return {"ok": False, "detail": f"{len(plan)} unapplied migration(s)"}
    return {"ok": True, "detail": "ok"}


def readiness_report() -> dict:
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
        checks.update(readiness())
    else:
        checks["migrations"] = {"ok": False, "detail": "skipped: no database"}
        checks["encryption"] = {"ok": False, "detail": "skipped: no database"}
    ready = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ready else "fail", "checks": checks}


def _json(payload: dict, status: int) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Must stay first in MIDDLEWARE (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            if request.path in HEALTH_PATHS:
                return _json({"status": "ok"}, 200)
            if request.path in READY_PATHS:
                report = readiness_report()
                if report["status"] != "ok":
                    failed = sorted(name for name, c in report["checks"].items() if not c["ok"])
                    logger.warning("readiness check failed: %s", ", ".join(failed))
                return _json(report, 200 if report["status"] == "ok" else 503)
        return self.get_response(request)
