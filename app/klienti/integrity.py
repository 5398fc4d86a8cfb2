"""Data integrity checks, run by `check_data` after every migration.

Each check returns the references (HYP-000123) of the cases that fail it,
never a value: the report goes to deploy logs.
"""

from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.db import connection
from django.db.models import Count, Q
from encrypted_model_fields.fields import CRYPTER

from . import blind_index
from .models import CaseStep, EncryptionCanary, Klient, Status, encrypted_field_names
from .steps import FIRST_STEP, LAST_STEP, STEP_NUMBERS

SAMPLE_SIZE = 20
BATCH_SIZE = 1000


@dataclass
class CheckResult:
    name: str
    description: str
    problems: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def add(self, sample: str) -> None:
        self.problems += 1
        if len(self.samples) < SAMPLE_SIZE:
            self.samples.append(sample)


def _reference(klient_id) -> str:
    return f"HYP-{klient_id:06d}"


def check_step_numbers() -> CheckResult:
    result = CheckResult("step_numbers", f"every step number lies in {FIRST_STEP}..{LAST_STEP}")
    bad = CaseStep.objects.filter(Q(number__lt=FIRST_STEP) | Q(number__gt=LAST_STEP))
    for klient_id, number in bad.values_list("klient_id", "number").order_by("klient_id"):
        result.add(f"{_reference(klient_id)} step {number}")
    return result


def check_steps_per_case() -> CheckResult:
    expected = len(STEP_NUMBERS)
    result = CheckResult("steps_per_case", f"every case has exactly the {expected} steps")
    counted = (
        Klient.objects.annotate(
            valid=Count("steps", filter=Q(steps__number__in=STEP_NUMBERS), distinct=True),
            total=Count("steps"),
        )
        .exclude(valid=expected, total=expected)
        .order_by("pk")
        .values_list("pk", "total")
    )
    for klient_id, total in counted:
        result.add(f"{_reference(klient_id)} has {total} step rows")
    return result


def _encrypted_tables():
    for model in (Klient, CaseStep, EncryptionCanary):
        columns = [model._meta.get_field(name).column for name in encrypted_field_names(model)]
        yield model, columns


def check_ciphertext() -> CheckResult:
    """Raw SQL, because the field class hands back plaintext unchanged when it
    cannot decrypt: exactly the failure this check is for."""
    result = CheckResult(
        "ciphertext", "every encrypted column holds ciphertext the configured keys decrypt"
    )
    qn = connection.ops.quote_name
    for model, columns in _encrypted_tables():
        table = qn(model._meta.db_table)
        select = ", ".join(qn(c) for c in columns)
        case_column = "klient_id" if model is CaseStep else "id"
        last_id = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {qn(case_column)}, {select} FROM {table} "  # noqa: S608
                    f"WHERE id > %s ORDER BY id LIMIT %s",
                    [last_id, BATCH_SIZE],
                )
                rows = cursor.fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            for row in rows:
                for column, value in zip(columns, row[2:], strict=True):
                    if value is None:
                        continue
                    try:
                        CRYPTER.decrypt(value.encode())
                    except (InvalidToken, AttributeError, ValueError):
                        where = (
                            f"{model._meta.model_name} id={row[0]}"
                            if model is EncryptionCanary
                            else _reference(row[1])
                        )
                        result.add(f"{where} column {column}")
    return result


def check_blind_indexes() -> CheckResult:
    result = CheckResult("blind_indexes", "blind indexes match the encrypted values")
    cases = Klient.objects.only(
        "id",
        "status",
        "full_name",
        "email",
        "birth_number",
        "name_index",
        "email_index",
        "birth_number_index",
    ).order_by("pk")
    for klient in cases.iterator(chunk_size=BATCH_SIZE):
        expected = {
            "name_index": blind_index.name_index(klient.full_name),
            "email_index": blind_index.email_index(klient.email),
            "birth_number_index": blind_index.birth_number_index(klient.birth_number),
        }
        if klient.status == Status.ERASED:
            expected = dict.fromkeys(expected, "")
        for name, value in expected.items():
            if getattr(klient, name) != value:
                result.add(f"{_reference(klient.pk)} {name}")
    return result


ALL_CHECKS = (check_step_numbers, check_steps_per_case, check_ciphertext, check_blind_indexes)


def run_checks() -> list[CheckResult]:
    return [check() for check in ALL_CHECKS]


def format_report(results: list[CheckResult]) -> str:
    lines = []
    for result in results:
        mark = "OK  " if result.ok else "FAIL"
        lines.append(f"[{mark}] {result.name}: {result.description}")
        if not result.ok:
            lines.append(f"       {result.problems} problem(s); first {len(result.samples)}:")
            lines.extend(f"         - {sample}" for sample in result.samples)
    failed = sum(not r.ok for r in results)
    lines.append(
        "data check passed" if not failed else f"data check FAILED: {failed} check(s) failed"
    )
    return "\n".join(lines)
