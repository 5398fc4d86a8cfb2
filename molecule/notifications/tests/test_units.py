"""The jobs' systemd units on the designated host: files, syntax, schedule
from the inventory, how they run, and their sandbox."""

import re

import pytest
from mailhost import CURRENT, DIGEST, ENV_FILE, REPORT, unit_show

JOBS = {
    DIGEST: ("send_deadline_notifications", "notifications_deadline_schedule"),
    REPORT: ("send_reporting_email", "notifications_reporting_schedule"),
}
UNIT_FILES = [f"/etc/systemd/system/{job}.{kind}" for job in JOBS for kind in ("service", "timer")]


@pytest.mark.parametrize("path", UNIT_FILES)
def test_unit_files_are_roots_and_world_readable_only(host, path):
    unit = host.file(path)
    assert unit.is_file
    assert (unit.user, unit.group, unit.mode) == ("root", "root", 0o644)


def test_units_pass_systemd_analyze_verify(host):
    with host.sudo():
        result = host.run("systemd-analyze verify --man=no " + " ".join(UNIT_FILES))
    assert result.rc == 0, result.stderr
    assert "hypoteky-" not in result.stderr


@pytest.mark.parametrize("job", JOBS)
def test_timer_is_enabled_with_the_inventorys_schedule(host, job):
    schedule = host.ansible.get_variables()[JOBS[job][1]]
    with host.sudo():
        calendar = host.check_output(f"systemd-analyze calendar '{schedule}'")
    normalized = re.search(r"Normalized form: (.+)", calendar).group(1).strip()
    next_elapse = re.search(r"Next elapse: (.+)", calendar).group(1).strip()
    timer = host.service(f"{job}.timer")
    assert timer.is_enabled
    assert timer.is_running
    state = unit_show(host, f"{job}.timer", "TimersCalendar", "Persistent", "NextElapseUSecRealtime", "Unit")
    assert f"OnCalendar={normalized} ;" in state["TimersCalendar"]
    assert state["Persistent"] == "yes"
    assert state["Unit"] == f"{job}.service"
    # Host local time: the hosts run in Europe/Prague (CET/CEST).
    assert state["NextElapseUSecRealtime"] == next_elapse
    assert re.search(r" (CET|CEST)$", next_elapse)


def test_timers_are_where_the_readme_says(host):
    with host.sudo():
        listed = host.check_output("systemctl list-timers --all --plain --no-legend 'hypoteky-*'")
    for job in JOBS:
        assert f"{job}.timer" in listed


@pytest.mark.parametrize("job", JOBS)
def test_service_runs_the_serving_release_as_the_app_user(host, job):
    state = unit_show(
        host, f"{job}.service", "Type", "User", "Group", "EnvironmentFiles", "ExecStart",
        "SyslogIdentifier", "WorkingDirectory", "Environment",
    )  # fmt: skip
    assert state["Type"] == "oneshot"
    assert (state["User"], state["Group"]) == ("hypoteky", "hypoteky")
    assert state["EnvironmentFiles"].startswith(f"{ENV_FILE} ")
    assert f"argv[]={CURRENT}/venv/bin/python -m django {JOBS[job][0]} ;" in state["ExecStart"]
    assert state["SyslogIdentifier"] == job
    assert state["WorkingDirectory"] == CURRENT
    assert "DJANGO_SETTINGS_MODULE=hypoteky.settings" in state["Environment"]
    # Started by its timer only: no [Install] section of its own.
    assert host.run(f"systemctl is-enabled {job}.service").stdout.strip() == "static"


def exposure(host, unit):
    with host.sudo():
        out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    return float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))


@pytest.mark.parametrize("job", JOBS)
def test_service_is_sandboxed_like_the_app(host, job):
    assert exposure(host, f"{job}.service") <= exposure(host, "hypoteky.service")
