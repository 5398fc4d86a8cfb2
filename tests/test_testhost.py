"""tools/testhost: hosts come up reachable over SSH as deploy, and going down
leaves nothing behind (process, mount, bridge, nftables table, key)."""

import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, run

NET = 99  # reserved for these tests; scenarios use other networks
IP = f"10.213.{NET}.2"
NAME = "harness-probe"
STATE = Path("/var/lib/hypoteky-testhosts")


def bridge_exists():
    return subprocess.run(["ip", "link", "show", f"hyp-{NET}"], capture_output=True).returncode == 0


def nft_table_exists():
    return (
        subprocess.run(["nft", "list", "table", "ip", f"hypoteky_testhost_{NET}"], capture_output=True).returncode == 0
    )


def overlay_mounted():
    return f"testhost-{NAME} " in Path("/proc/mounts").read_text()


@pytest.fixture
def probe_host():
    run("tools/testhost", "up", NAME, IP)
    yield
    run("tools/testhost", "purge", str(NET))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["up", "probe", "192.168.1.2"], "is not in 10.213.N.x"),
        (["up", "probe", "10.213.300.2"], "N must be 1..254"),
        (["up", "probe", "10.213.5.1"], "x 2..254"),
        (["up", "Bad_Name", "10.213.5.2"], "lower-case letters"),
        (["frobnicate"], "testhost image"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(args, message):
    result = run("tools/testhost", *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (STATE / "hosts" / "probe").exists()


def test_host_runs_systemd_and_answers_ssh_as_deploy_with_sudo(probe_host):
    result = run("tools/testhost", "ssh", NAME, "sudo -n id -u; systemctl is-system-running; cat /etc/hostname")
    uid, state, hostname = result.stdout.split()
    assert uid == "0"
    assert state in ("running", "degraded")
    assert hostname == NAME


def test_host_key_is_pinned_not_trusted_on_first_use(probe_host):
    known = (STATE / "known_hosts").read_text()
    assert any(line.startswith(f"{IP} ssh-ed25519 ") for line in known.splitlines())


def test_host_sees_the_machines_apt_archive_through_its_own_overlay(probe_host):
    result = run("tools/testhost", "ssh", NAME, "findmnt -n -o FSTYPE /var/cache/apt/archives")
    assert result.stdout.strip() == "overlay"
    cached = sorted(p.name for p in Path("/var/cache/apt/archives").glob("*.deb"))[:1]
    assert cached, "the machine's apt archive is empty"
    listing = run("tools/testhost", "ssh", NAME, "ls /var/cache/apt/archives").stdout.split()
    assert cached[0] in listing


def test_hosts_never_share_apt_archive_lock(probe_host):
    """Two hosts may run apt at once (a cluster converges in parallel)."""
    run("tools/testhost", "up", f"{NAME}-2", f"10.213.{NET}.3")
    hold = "sudo flock /var/cache/apt/archives/lock sleep 5"
    take = "sudo flock --nonblock /var/cache/apt/archives/lock true"
    holder = subprocess.Popen(["tools/testhost", "ssh", NAME, hold], cwd=ROOT)
    try:
        time.sleep(1.5)
        result = run("tools/testhost", "ssh", f"{NAME}-2", take, check=False)
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0


def test_purge_leaves_nothing_behind():
    run("tools/testhost", "up", NAME, IP)
    assert bridge_exists()
    assert nft_table_exists()
    assert overlay_mounted()
    pid = (STATE / "hosts" / NAME / "nspawn.pid").read_text().strip()
    run("tools/testhost", "purge", str(NET))
    assert not Path(f"/proc/{pid}").exists()
    assert not overlay_mounted()
    assert not bridge_exists()
    assert not nft_table_exists()
    assert not (STATE / "hosts" / NAME).exists()
    assert not (STATE / f"net{NET}").exists()
    assert f"{IP} " not in (STATE / "known_hosts").read_text()


def test_a_package_is_downloaded_once_for_all_hosts():
    """The second host installs from the shared archive: nothing to fetch."""
    fetch = "sudo apt-get update -qq && sudo apt-get install --download-only -y -q tree"
    for cached in Path("/var/cache/apt/archives").glob("tree_*.deb"):
        cached.unlink()  # so the first host really downloads it
    try:
        run("tools/testhost", "up", NAME, IP)
        first = run("tools/testhost", "ssh", NAME, fetch).stdout
        # A host that comes up later finds the first one's download.
        run("tools/testhost", "up", f"{NAME}-2", f"10.213.{NET}.3")
        second = run("tools/testhost", "ssh", f"{NAME}-2", fetch).stdout
    finally:
        run("tools/testhost", "purge", str(NET))
    assert "Need to get 0 B" not in first, first
    assert "Need to get 0 B" in second, second
    assert list(Path("/var/cache/apt/archives").glob("tree_*.deb"))


def test_same_named_units_on_two_hosts_are_independent():
    """Each host has cgroups of its own: stopping a unit on one host leaves
    the unit of the same name on another host running."""
    start = "sudo systemd-run --unit=probe-twin sleep 300"
    try:
        run("tools/testhost", "up", NAME, IP)
        run("tools/testhost", "up", f"{NAME}-2", f"10.213.{NET}.3")
        run("tools/testhost", "ssh", NAME, start)
        run("tools/testhost", "ssh", f"{NAME}-2", start)
        run("tools/testhost", "ssh", NAME, "sudo systemctl stop probe-twin")
        other = run("tools/testhost", "ssh", f"{NAME}-2", "systemctl is-active probe-twin", check=False)
    finally:
        run("tools/testhost", "purge", str(NET))
    assert other.stdout.strip() == "active"
    assert not Path(f"/sys/fs/cgroup/systemd/testhost/{NAME}").exists()
