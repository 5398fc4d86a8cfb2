import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from klienti import integrity
from klienti.models import CaseStep, Klient

from .fixtures import make_case

pytestmark = pytest.mark.django_db


def _raw_update(model, column, value, pk):
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE id = %s",  # noqa: S608
            [value, pk],
        )


def test_clean_data_passes_and_exits_zero(case, capsys):
    call_command("check_data")
    out = capsys.readouterr().out
    assert "data check passed" in out
    assert out.count("[OK  ]") == len(integrity.ALL_CHECKS)


def test_missing_step_fails_with_the_case_reference(case, capsys):
    case.steps.filter(number=7).delete()
    with pytest.raises(CommandError):
        call_command("check_data")
    err = capsys.readouterr().err
    assert "[FAIL] steps_per_case" in err
    assert f"{case.reference} has 14 step rows" in err


def test_step_number_outside_range_is_reported(case):
    # The database's CHECK constraint normally stops this; a restore of an old
    # dump or a hand edit with checks off does not.
    step = case.steps.get(number=15)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION check_constraint_checks = 0")
        try:
            _raw_update(CaseStep, "number", 16, step.pk)
        finally:
            cursor.execute("SET SESSION check_constraint_checks = 1")
    result = integrity.check_step_numbers()
    assert not result.ok
    assert result.samples == [f"{case.reference} step 16"]
    assert not integrity.check_steps_per_case().ok


def test_plaintext_in_an_encrypted_column_is_reported_without_the_value(case, capsys):
    _raw_update(Klient, "employer", "Plaintext Employer s.r.o.", case.pk)
    with pytest.raises(CommandError):
        call_command("check_data")
    err = capsys.readouterr().err
    assert f"{case.reference} column employer" in err
    assert "Plaintext Employer" not in err


def test_plaintext_step_note_is_reported(case):
    step = case.steps.get(number=1)
    _raw_update(CaseStep, "note", "volal klient", step.pk)
    result = integrity.check_ciphertext()
    assert result.samples == [f"{case.reference} column note"]


def test_stale_blind_index_is_reported(case):
    Klient.objects.filter(pk=case.pk).update(email_index="0" * 64)
    result = integrity.check_blind_indexes()
    assert result.problems == 1
    assert result.samples == [f"{case.reference} email_index"]


def test_report_lists_at_most_the_sample_size(adviser):
    cases = [make_case(adviser) for _ in range(3)]
    Klient.objects.filter(pk__in=[c.pk for c in cases]).update(name_index="x")
    result = integrity.check_blind_indexes()
    assert result.problems == 3
    report = integrity.format_report([result])
    assert "3 problem(s); first 3" in report
    assert "FAILED: 1 check(s) failed" in report
