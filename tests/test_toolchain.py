"""The pinned toolchain provides what the code declares it needs."""

import json

import yaml
from ansible.module_utils.compat.version import LooseVersion
from conftest import ROOT, run


def installed_collections():
    listing = json.loads(run("ansible-galaxy", "collection", "list", "--format", "json").stdout)
    found = {}
    for collections in listing.values():
        for name, info in collections.items():
            found.setdefault(name, info["version"])
    return found


def test_every_required_collection_is_installed_at_its_minimum_version():
    required = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    installed = installed_collections()
    assert required, "requirements.yml lists no collections"
    for entry in required:
        name, spec = entry["name"], entry["version"]
        assert spec.startswith(">="), f"{name}: pin a minimum version as '>=X.Y.Z', not {spec!r}"
        assert name in installed, f"{name} is required but not installed"
        assert LooseVersion(installed[name]) >= LooseVersion(spec[2:]), (
            f"{name} {installed[name]} is older than required {spec}"
        )


def test_every_collection_the_code_uses_is_required():
    required = {e["name"] for e in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    used = set()
    for path in [*ROOT.glob("roles/**/*.yml"), *ROOT.glob("playbooks/**/*.yml"), *ROOT.glob("molecule/**/*.yml")]:
        for word in path.read_text().split():
            parts = word.rstrip(":").split(".")
            if len(parts) == 3 and parts[0] in {"community", "ansible"} and parts[1] != "builtin":
                used.add(".".join(parts[:2]))
    missing = used - required
    assert not missing, f"used but not in requirements.yml: {sorted(missing)}"


def test_ansible_core_is_the_pinned_line():
    out = run("ansible", "--version").stdout
    assert "core 2.19." in out.splitlines()[0]


def test_lock_file_pins_every_package_with_a_hash():
    lock = (ROOT / "requirements" / "tooling.lock").read_text()
    entries = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert entries
    for entry in entries:
        assert "==" in entry, f"not pinned: {entry}"
    assert lock.count("--hash=sha256:") >= len(entries)
