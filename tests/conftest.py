import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, check=True, **kwargs):
    """Run a command from the repository root with the project's ansible.cfg."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), **kwargs.pop("env", {})}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=check, env=env, **kwargs)


@pytest.fixture(scope="session")
def root():
    return ROOT
