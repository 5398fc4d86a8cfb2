"""Every inventory loads the shared top-level group_vars and overrides them
with its own values; secrets are vault-encrypted and placeholders refused."""

import json

import pytest
import yaml
from conftest import ROOT, run

INVENTORIES = sorted(p.name for p in (ROOT / "inventories").iterdir() if p.is_dir())
SHARED = yaml.safe_load((ROOT / "group_vars" / "all.yml").read_text())


def hostvars(inventory):
    out = run("ansible-inventory", "-i", f"inventories/{inventory}", "--list").stdout
    return json.loads(out)["_meta"]["hostvars"]


def test_the_three_environments_exist():
    assert INVENTORIES == ["production", "sandbox", "staging"]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_shared_group_vars_reach_every_host(inventory):
    hosts = hostvars(inventory)
    assert hosts, f"inventory {inventory} has no hosts"
    for name, variables in hosts.items():
        missing = [key for key in SHARED if key not in variables]
        assert not missing, f"{inventory}/{name} lacks shared variables {missing}"
        assert variables["hypoteky_app_user"] == SHARED["hypoteky_app_user"]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_environment_values_override_shared_ones(inventory):
    for variables in hostvars(inventory).values():
        assert variables["hypoteky_environment"] == inventory


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_inventory_has_db_app_and_web_groups(inventory):
    out = json.loads(run("ansible-inventory", "-i", f"inventories/{inventory}", "--list").stdout)
    for group in ("db", "app", "web"):
        assert out.get(group, {}).get("hosts"), f"{inventory}: group {group} is empty"


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_vault_file_is_encrypted(inventory):
    vault = ROOT / "inventories" / inventory / "group_vars" / "all" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")


@pytest.mark.parametrize("inventory", ["staging", "production"])
def test_example_environments_refuse_to_deploy_with_placeholders(inventory):
    result = run(
        "ansible-playbook",
        "-i",
        f"inventories/{inventory}",
        "playbooks/preflight.yml",
        check=False,
    )
    assert result.returncode != 0
    assert "still holds CHANGE-ME" in result.stdout
    # The secret values themselves never reach the output.
    assert "CHANGE-ME-app-database-password" not in result.stdout + result.stderr


def test_sandbox_secrets_pass_preflight():
    result = run(
        "ansible-playbook",
        "-i",
        "inventories/sandbox",
        "playbooks/preflight.yml",
        "--tags",
        "always",
        "-e",
        "ansible_connection=local",
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_inventory_holds_only_the_hosts_its_hosts_file_names(inventory):
    named = set()
    for group in yaml.safe_load((ROOT / "inventories" / inventory / "hosts.yml").read_text())["all"][
        "children"
    ].values():
        named.update(group["hosts"])
    assert set(hostvars(inventory)) == named


def test_sandbox_runs_see_sandbox_values_not_the_test_hosts():
    """The ACME test server's playbook runs first in `make up`: its directory
    must not lend the sandbox the Molecule hosts' variables."""
    result = run(
        "ansible-playbook",
        "-i",
        "inventories/sandbox",
        "molecule/shared/playbooks/acme.yml",
        "playbooks/preflight.yml",
        "--list-hosts",
        "-e",
        "ansible_connection=local",
    )
    assert "sandbox-example" not in result.stdout
    shown = run(
        "ansible",
        "-i",
        "inventories/sandbox",
        "sandbox",
        "-m",
        "debug",
        "-a",
        "var=hypoteky_domain",
        "--playbook-dir",
        "molecule/shared/playbooks",
        "-e",
        "ansible_connection=local",
    )
    assert "hypoteky.sandbox.test" in shown.stdout
