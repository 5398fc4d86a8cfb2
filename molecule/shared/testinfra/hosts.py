"""Helpers for the scenarios' testinfra tests: facts about a test host that
only the controller side can check (reachability over the bridge), and
running the project's playbooks against the scenario's hosts."""

import os
import re
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
    """Run one of the project's playbooks (a name in playbooks/, or a path)
    against the scenario's hosts, as an operator would, and return the
    finished process; its stdout holds what the operator sees, failed tasks'
    messages (stderr) included."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    playbook = name if isinstance(name, Path) else ROOT / "playbooks" / name
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(playbook), *extra],
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


def plain(output):
    """ansible-playbook's output without colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


def recap(output):
    """Per host, the play recap's counts (ok, changed, failed, ...)."""
    block = plain(output).rsplit("PLAY RECAP", 1)[-1]
    return {
        name: {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counts)}
        for name, counts in re.findall(r"^(\S+)\s*:\s*(ok=.*)$", block, re.MULTILINE)
    }


def assert_dry_run_changes_nothing(converge):
    """What an operator runs before a deploy, `--check --diff`, on the
    converged hosts with the scenario's converge playbook: it must pass and
    report no change on any host. Molecule's own check step only proves that
    check mode runs; this one also names every task that would change."""
    result = run_playbook(converge, "--check", "--diff")
    assert result.returncode == 0, result.stdout[-4000:]
    counts = recap(result.stdout)
    assert counts, f"no play recap in:\n{result.stdout[-2000:]}"
    would_change = [
        task.splitlines()[0]
        for task in plain(result.stdout).split("TASK [")[1:]
        if re.search(r"^changed: ", task, re.MULTILINE)
    ]
    changed = {host: c["changed"] for host, c in counts.items() if c["changed"]}
    assert not changed, f"--check --diff would change {changed}: {would_change}"
