"""Helpers for the scenarios' testinfra tests: facts about a test host that
only the controller side can check (reachability over the bridge), and
running the project's playbooks against the scenario's hosts."""

import os
import shlex
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def address(host):
    """The host's address on the test network, from the inventory."""
    return host.ansible.get_variables()["ansible_host"]


def tcp_probe(ip, port, timeout=3.0):
    """'open', 'refused' (a RST: reached, nothing listens) or 'filtered'
    (no answer: a firewall dropped the packet)."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "filtered"


def run_playbook(name, *extra):
    """Run one of the project's playbooks against the scenario's hosts, as an
    operator would, and return the finished process; its stdout holds what
    the operator sees, failed tasks' messages (stderr) included."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / name), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def root_sql(host, sql, database="hypoteky"):
    """SQL as MariaDB's root, through the unix socket (the only way root logs in)."""
    with host.sudo():
        return host.check_output(f"mariadb --batch --skip-column-names {database} -e {shlex.quote(sql)}")
