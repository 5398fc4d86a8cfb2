"""A dry run (`--check --diff`) of the converge playbook on the converged
stack reports no change (before the other tests change anything)."""

from pathlib import Path

from hosts import assert_dry_run_changes_nothing


def test_dry_run_on_the_converged_stack_changes_nothing():
    assert_dry_run_changes_nothing(Path(__file__).resolve().parents[1] / "converge.yml")
