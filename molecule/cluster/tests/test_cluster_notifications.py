"""Scheduled mail across several app hosts: the jobs' timers exist on
exactly one app host (notifications_host, the first), so a digest is sent
once however many app hosts there are; no other host has their units."""

import pytest

testinfra_hosts = ["cluster-lb"]

TIMERS = ["hypoteky-deadline-notifications.timer", "hypoteky-reporting-email.timer"]
UNITS = [unit for timer in TIMERS for unit in (timer, timer.replace(".timer", ".service"))]
HOSTS = ["cluster-app1", "cluster-app2", "cluster-db", "cluster-lb"]


def unit_files(host):
    # Exit 1 means no unit matched: an empty set, not an error.
    listed = host.run("systemctl list-unit-files --no-legend --plain 'hypoteky-*'")
    assert listed.rc in (0, 1), listed.stderr
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}


def test_the_timers_run_on_one_app_host_only(cluster):
    having = [name for name in HOSTS if set(TIMERS) <= unit_files(cluster[name])]
    assert having == ["cluster-app1"]
    for timer in TIMERS:
        assert cluster["cluster-app1"].service(timer).is_enabled, timer
        assert cluster["cluster-app1"].service(timer).is_running, timer


@pytest.mark.parametrize("name", ["cluster-app2", "cluster-db", "cluster-lb"])
def test_no_other_host_has_the_jobs_units(cluster, name):
    assert not set(UNITS) & unit_files(cluster[name])
    for unit in UNITS:
        assert not cluster[name].file(f"/etc/systemd/system/{unit}").exists, unit
