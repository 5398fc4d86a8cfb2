import os
import sys
from pathlib import Path

import pytest
import testinfra

# The shared helpers live beside create.yml/destroy.yml in molecule/shared/.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "testinfra"))


@pytest.fixture(scope="session")
def cluster():
    """Every host of the scenario by name, for tests that look at several at once."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    names = ["cluster-db", "cluster-app1", "cluster-app2", "cluster-lb", "cluster-acme"]
    return {name: testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}") for name in names}
