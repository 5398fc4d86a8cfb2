"""Role READMEs are generated from argument_specs; the test command fails
when one is out of date or a default has no spec."""

import shutil
import sys

import pytest
import yaml
from conftest import ROOT, run

ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def role_docs(*args):
    return run(sys.executable, str(ROOT / "tools" / "role-docs"), *args, check=False)


@pytest.fixture
def roles_copy(tmp_path):
    """A copy of one real role to break without touching the repository."""
    shutil.copytree(ROOT / "roles" / "backup", tmp_path / "backup")
    return tmp_path


def test_every_committed_role_readme_is_current():
    result = role_docs("--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_default_of_the_role(role):

    readme = (ROOT / "roles" / role / "README.md").read_text()
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    missing = [name for name in defaults if f"| `{name}` |" not in readme]
    assert not missing, f"roles/{role}/README.md lacks {missing}"
    assert "## Handlers" in readme
    assert "## Tags" in readme


def test_a_default_without_spec_fails_the_check(roles_copy):
    with (roles_copy / "backup" / "defaults" / "main.yml").open("a") as defaults:
        defaults.write("backup_undocumented_knob: 3\n")
    result = role_docs("--check", "--roles", str(roles_copy))
    assert result.returncode == 1
    assert "default 'backup_undocumented_knob' has no entry in meta/argument_specs.yml" in result.stderr


def test_a_spec_change_makes_the_readme_stale_until_regenerated(roles_copy):
    specs = roles_copy / "backup" / "meta" / "argument_specs.yml"
    specs.write_text(specs.read_text().replace("How many most recent dumps to keep.", "Dumps kept."))
    stale = role_docs("--check", "--roles", str(roles_copy))
    assert stale.returncode == 1
    assert "backup/README.md is out of date" in stale.stderr

    assert role_docs("--roles", str(roles_copy)).returncode == 0
    assert "| Dumps kept. |" in (roles_copy / "backup" / "README.md").read_text()
    assert role_docs("--check", "--roles", str(roles_copy)).returncode == 0


def test_hand_written_notes_outside_the_generated_block_survive(roles_copy):
    readme = roles_copy / "backup" / "README.md"
    readme.write_text(readme.read_text() + "\n## Restore drill\nRun playbooks/restore.yml.\n")
    specs = roles_copy / "backup" / "meta" / "argument_specs.yml"
    specs.write_text(specs.read_text().replace("How many most recent dumps to keep.", "Dumps kept."))
    assert role_docs("--roles", str(roles_copy)).returncode == 0
    text = readme.read_text()
    assert "## Restore drill\nRun playbooks/restore.yml." in text
    assert "| Dumps kept. |" in text


def test_spec_and_defaults_disagreeing_is_reported(roles_copy):
    defaults = roles_copy / "backup" / "defaults" / "main.yml"
    defaults.write_text(defaults.read_text().replace("backup_keep: 14", "backup_keep: 30"))
    result = role_docs("--check", "--roles", str(roles_copy))
    assert result.returncode == 1
    assert "'backup_keep' defaults to 30 in defaults/main.yml but to 14" in result.stderr
