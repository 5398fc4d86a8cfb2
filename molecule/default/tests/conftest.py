import sys
from pathlib import Path

# The shared helpers live beside create.yml/destroy.yml in molecule/shared/;
# e2e.py (the browser tests' helpers) beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "testinfra"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
