"""The host baseline (role common) as a production host would have it."""

import subprocess

import pytest
from hosts import address, tcp_probe

APP_USER = "hypoteky"
DEPLOY_USER = "deploy"


@pytest.mark.parametrize(
    "package",
    [
        "acl",
        "ca-certificates",
        "curl",
        "rsync",
        "sudo",
        "locales",
        "nftables",
        "unattended-upgrades",
        "systemd-timesyncd",
    ],
)
def test_base_package_installed(host, package):
    assert host.package(package).is_installed


def test_time_zone_is_prague(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Europe/Prague"
    assert host.check_output("date +%Z") in ("CET", "CEST")


def test_ntp_client_enabled_and_only_a_container_keeps_it_idle(host):
    timesyncd = host.service("systemd-timesyncd")
    assert timesyncd.is_enabled
    in_container = host.run("systemd-detect-virt --container").rc == 0
    if in_container:
        # The clock is the machine's; the unit's condition skips it by design.
        assert "ConditionResult=no" in host.check_output("systemctl show -p ConditionResult systemd-timesyncd")
    else:
        assert timesyncd.is_running


@pytest.mark.parametrize("locale", ["cs_CZ.utf8", "en_US.utf8"])
def test_locale_generated(host, locale):
    assert locale in host.check_output("locale -a").split()


def test_default_locale(host):
    assert "LANG=en_US.UTF-8" in host.file("/etc/default/locale").content_string


def test_czech_locale_names_days_in_czech(host):
    assert host.check_output("LC_ALL=cs_CZ.UTF-8 date -d 2026-01-15 +%A").lower() == "čtvrtek"


def test_app_account_is_unprivileged_system_user(host):
    user = host.user(APP_USER)
    assert user.exists
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/srv/hypoteky"
    assert user.group == APP_USER
    with host.sudo():
        assert user.password.startswith("!")
        sudo_rights = host.run(f"sudo -l -U {APP_USER}")
    assert "is not allowed to run sudo" in sudo_rights.stdout


def test_deploy_account_has_passwordless_sudo(host):
    assert host.user(DEPLOY_USER).shell == "/bin/bash"
    assert host.run("sudo -n true").rc == 0
    sudoers = host.file(f"/etc/sudoers.d/50-{DEPLOY_USER}")
    assert sudoers.mode == 0o440
    assert sudoers.user == "root"
    with host.sudo():
        assert host.run("visudo -c").rc == 0


def test_unattended_upgrades_take_security_updates_only(host):
    periodic = host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    origins = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    patterns = [line for line in origins.splitlines() if line.startswith("Unattended-Upgrade::Origins-Pattern:: ")]
    assert patterns, origins
    assert all("label=Debian-Security" in line for line in patterns), patterns


@pytest.mark.parametrize("timer", ["apt-daily.timer", "apt-daily-upgrade.timer"])
def test_apt_timers_run_unattended_upgrades(host, timer):
    assert host.service(timer).is_enabled
    assert host.service(timer).is_running


def test_firewall_ruleset_loaded_with_drop_policy(host):
    assert host.service("nftables").is_enabled
    with host.sudo():
        ruleset = host.check_output("nft list table inet hypoteky_filter")
    assert "hook input priority filter; policy drop;" in ruleset
    assert "tcp dport { 22, 80, 443 } accept" in ruleset


def test_firewall_drops_a_port_that_a_process_listens_on(host):
    ip = address(host)
    with host.sudo():
        host.check_output(
            "systemd-run --unit=probe-listener --collect --property=RuntimeMaxSec=60 "
            "python3 -m http.server --bind 0.0.0.0 8089"
        )
    try:
        # Listening (reachable from inside the host)...
        wait_for_listener = (
            "for i in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8089/ && exit 0; sleep 0.1; done"
        )
        assert host.run(f"{wait_for_listener}; exit 1").rc == 0
        # ...but the firewall drops it from outside: no answer at all.
        assert tcp_probe(ip, 8089) == "filtered"
    finally:
        with host.sudo():
            host.run("systemctl stop probe-listener")


def test_firewall_passes_allowed_ports(host):
    ip = address(host)
    assert tcp_probe(ip, 22) == "open"
    # Allowed but nothing listens yet: the host answers with a reset.
    assert tcp_probe(ip, 443) in ("refused", "open")


def test_journal_is_persistent(host):
    conf = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert "Storage=persistent" in conf
    machine_id = host.file("/etc/machine-id").content_string.strip()
    with host.sudo():
        assert host.file(f"/var/log/journal/{machine_id}").is_directory
        files = host.check_output(f"ls /var/log/journal/{machine_id}")
    assert "system.journal" in files


def test_sshd_refuses_passwords_and_root(host):
    with host.sudo():
        effective = host.check_output("sshd -T")
    assert "passwordauthentication no" in effective
    assert "permitrootlogin no" in effective
    assert "kbdinteractiveauthentication no" in effective


def test_ssh_offers_public_key_authentication_only(host):
    result = subprocess.run(
        [
            "ssh",
            "-o",
            "BatchMode=yes",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=5",
            f"{DEPLOY_USER}@{address(host)}",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr
