"""The app's part of the security audit (phase 4), run on a deployed host by
`manage.py audit_app` under the production settings.

Each check returns a dict with an id, a result (pass, fail or not_run) and
evidence: what was looked at and what was found, never a value of a client
(cases are named by reference) and never a secret.
"""

import io
import json
import logging
import secrets
import zipfile
from contextlib import contextmanager, suppress
from datetime import date

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from encrypted_model_fields.fields import CRYPTER

from . import encryption, roles, services
from .models import AuditAction, AuditEntry, Klient, NotifikaceLog, Status, encrypted_field_names
from .operational_models import ApiToken, ErasureLog

# Values shorter than this are too common to count as a finding (e.g. "Brno").
MIN_NEEDLE_LENGTH = 5
SAMPLE_SIZE = 10
BATCH_SIZE = 1000


def _check(check_id, title, ok, evidence, result=None):
    return {
        "id": check_id,
        "title": title,
        "result": result or ("pass" if ok else "fail"),
        "evidence": evidence,
        "checked_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _reference(klient_id) -> str:
    return f"HYP-{klient_id:06d}"


def _klient_rows(columns):
    """(id, *raw column values) of every case, in primary-key batches."""
    qn = connection.ops.quote_name
    table = qn(Klient._meta.db_table)
    select = ", ".join(qn(c) for c in columns)
    last_id = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {select} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last_id, BATCH_SIZE],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        yield from rows


def personal_columns() -> list[str]:
    return [Klient._meta.get_field(name).column for name in encrypted_field_names(Klient)]


def check_encryption_at_rest():
    """Raw SQL: the field class would hand back a plaintext value unchanged."""
    columns = personal_columns()
    cases = values = 0
    bad = []
    for row in _klient_rows(columns):
        cases += 1
        for column, value in zip(columns, row[1:], strict=True):
            if value is None:
                continue
            values += 1
            try:
                CRYPTER.decrypt(str(value).encode())
            except (InvalidToken, ValueError, TypeError):
                bad.append(f"{_reference(row[0])} column {column}")
    evidence = (
        f"{len(columns)} personal-data columns of {Klient._meta.db_table} "
        f"({', '.join(columns)}) read with raw SQL: {cases} cases, {values} stored values; "
    )
    if bad:
        evidence += (
            f"{len(bad)} values are not ciphertext the configured keys decrypt, "
            f"first {min(len(bad), SAMPLE_SIZE)}: {'; '.join(bad[:SAMPLE_SIZE])}"
        )
    else:
        evidence += "every one is a Fernet token the configured keys decrypt"
    ok = not bad and len(columns) == 14
    if len(columns) != 14:
        evidence += f"; expected 14 personal-data columns, the model has {len(columns)}"
    return _check("encryption-at-rest", "Personal data is encrypted at rest", ok, evidence)


def check_canary():
    ok, reason = encryption.check_canary()
    evidence = (
        "the first key of HYPOTEKY_FIELD_ENCRYPTION_KEYS decrypts the canary row"
        if ok
        else f"canary check failed: {reason}"
    )
    return _check("encryption-canary", "The configured key decrypts the canary", ok, evidence)


def _needles():
    """Every client's decrypted personal values, normalised, as a set."""
    names = encrypted_field_names(Klient)
    found = set()
    cases = 0
    for klient in Klient.objects.only("id", *names).iterator(chunk_size=BATCH_SIZE):
        cases += 1
        for name in names:
            value = getattr(klient, name)
            if value in (None, ""):
                continue
            text = value.isoformat() if isinstance(value, date) else str(value)
            text = " ".join(text.split()).casefold()
            if len(text) >= MIN_NEEDLE_LENGTH:
                found.add(text)
    return found, cases


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for item in data.values():
            yield from _strings(item)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _texts(value):
    """A stored value, normalised, and the strings inside it when it is JSON
    (MariaDB keeps JSON with escaped non-ASCII letters)."""
    if not value:
        return set()
    raw = str(value)
    found = {raw}
    with suppress(ValueError):
        found.update(_strings(json.loads(raw)))
    return {" ".join(text.split()).casefold() for text in found}


def _haystack(model, columns):
    """The distinct values of a table's text columns, normalised, and its row count."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    texts = set()
    for column in columns:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT {qn(column)} FROM {table}")  # noqa: S608
            for (value,) in cursor.fetchall():
                texts.update(_texts(value))
    return texts, model.objects.count()


def _plaintext_check(check_id, title, tables, needles, cases):
    lines, rows, hits = [], 0, []
    for model, columns in tables:
        texts, count = _haystack(model, columns)
        rows += count
        joined = "\n".join(texts)
        found = sum(1 for needle in needles if needle in joined)
        lines.append(f"{model._meta.db_table} ({', '.join(columns)}): {count} rows")
        if found:
            hits.append(f"{model._meta.db_table}: {found} distinct personal values found")
    evidence = (
        f"searched {'; '.join(lines)} for {len(needles)} distinct decrypted personal values "
        f"of {cases} cases: " + ("; ".join(hits) if hits else "none found")
    )
    return _check(check_id, title, not hits, evidence)


def check_logs_hold_no_personal_data():
    needles, cases = _needles()
    return [
        _plaintext_check(
            "pii-audit-trail",
            "The audit trail holds no plaintext personal data",
            [
                (AuditEntry, ["actor_username", "action", "fields"]),
                (ErasureLog, ["actor_username"]),
            ],
            needles,
            cases,
        ),
        _plaintext_check(
            "pii-notification-log",
            "The notification log holds no plaintext personal data",
            [(NotifikaceLog, ["notification_type", "error"])],
            needles,
            cases,
        ),
    ]


class _Rollback(Exception):
    """Raised to leave the GDPR drive's transaction without committing it."""


@contextmanager
def _quiet():
    """The drive's synthetic exports and erasures must not look like real ones in the logs."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _client(host):
    return Client(HTTP_HOST=host, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")


def _expect(steps, label, response, expected):
    got = response.status_code
    ok = got in expected
    steps.append((ok, f"{label}: {got} (expected {'/'.join(str(e) for e in expected)})"))
    return ok


def _drive_gdpr(host):
    """Temporary users and a case, and the real views through Django's test
    client: (export steps, erasure steps). Everything is rolled back."""
    export, erasure = [], []
    tag = secrets.token_hex(4)
    adviser = User.objects.create_user(f"audit-{tag}-adviser")
    other = User.objects.create_user(f"audit-{tag}-other")
    manager = User.objects.create_user(f"audit-{tag}-manager")
    adviser.groups.add(Group.objects.get(name=roles.ADVISER))
    other.groups.add(Group.objects.get(name=roles.ADVISER))
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    klient = services.create_case(
        adviser,
        Klient(adviser=adviser, full_name=f"Audit Probe {tag}", birth_number="855302/0003"),
    )
    export_url = f"/klienti/{klient.pk}/gdpr/export/"
    erase_url = f"/klienti/{klient.pk}/gdpr/vymazat/"
    api_export = f"/api/klienti/{klient.pk}/gdpr-export/"
    api_erase = f"/api/klienti/{klient.pk}/gdpr-erase/"

    anonymous = _client(host)
    _expect(export, "anonymous GET export", anonymous.get(export_url, secure=True), [302])
    _expect(export, "anonymous GET API export", anonymous.get(api_export, secure=True), [401, 403])
    client = _client(host)
    client.force_login(other)
    _expect(export, "another adviser GET export", client.get(export_url, secure=True), [404])
    client = _client(host)
    client.force_login(adviser)
    response = client.get(export_url, secure=True)
    if _expect(export, "the case's adviser GET export", response, [200]):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = sorted(archive.namelist())
            has_case = "case.json" in names and f'"id": {klient.pk}' in archive.read(
                "case.json"
            ).decode("utf-8")
        export.append((has_case, f"ZIP with {', '.join(names)}; case.json is the case's"))
        audited = AuditEntry.objects.filter(
            klient_id=klient.pk, action=AuditAction.EXPORTED, actor=adviser
        ).exists()
        export.append(
            (audited, "the export is in the audit trail" if audited else "no audit entry")
        )
    _, raw = ApiToken.objects.issue(adviser)
    token = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    _expect(
        export,
        "the adviser's token GET API export",
        anonymous.get(api_export, secure=True, **token),
        [200],
    )

    _expect(erasure, "anonymous POST erase", _client(host).post(erase_url, secure=True), [302, 403])
    _expect(
        erasure, "anonymous POST API erase", _client(host).post(api_erase, secure=True), [401, 403]
    )
    _expect(
        erasure, "the adviser (no manager) POST erase", client.post(erase_url, secure=True), [404]
    )
    _expect(
        erasure,
        "the adviser's token POST API erase",
        _client(host).post(api_erase, secure=True, **token),
        [403],
    )
    still_there = Klient.objects.get(pk=klient.pk).status != Status.ERASED
    erasure.append((still_there, "the case is intact after the refused requests"))
    client = _client(host)
    client.force_login(manager)
    _expect(
        erasure,
        "a manager GET erase (confirmation page)",
        client.get(erase_url, secure=True),
        [200],
    )
    _expect(erasure, "a manager POST erase", client.post(erase_url, secure=True), [302])
    erased = Klient.objects.get(pk=klient.pk)
    blank = erased.status == Status.ERASED and all(
        getattr(erased, name) in (None, "") for name in encrypted_field_names(Klient)
    )
    erasure.append(
        (blank, "the case is erased, its 14 personal fields blank" if blank else "not erased")
    )
    logged = ErasureLog.objects.filter(klient_id=klient.pk).exists()
    erasure.append(
        (logged, "the erasure is in the erasure log" if logged else "no erasure log row")
    )
    return export, erasure


def check_gdpr_endpoints():
    host = (settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".")
    steps = None
    try:
        with _quiet(), override_settings(GDPR_ERASURE_LOG=""), transaction.atomic():
            steps = _drive_gdpr(host)
            raise _Rollback
    except _Rollback:
        pass
    except Exception as exc:  # noqa: BLE001 - any error of the views is the finding
        failed = [(False, f"the drive stopped with {type(exc).__name__} (rolled back)")]
        steps = (failed, failed)
    export, erasure = steps
    suffix = " (temporary users and case, rolled back)"
    return [
        _check(
            "gdpr-export",
            "GDPR export answers the case's adviser and refuses others",
            all(ok for ok, _ in export),
            "; ".join(text for _, text in export) + suffix,
        ),
        _check(
            "gdpr-erasure",
            "GDPR erasure answers managers and refuses others",
            all(ok for ok, _ in erasure),
            "; ".join(text for _, text in erasure) + suffix,
        ),
    ]


def run_audit():
    return [
        check_encryption_at_rest(),
        check_canary(),
        *check_logs_hold_no_personal_data(),
        *check_gdpr_endpoints(),
    ]
