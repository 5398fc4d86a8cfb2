"""The jobs run on one designated app host: converging with another host
designated removes them here, converging back reinstalls them; bad input
fails before anything changes."""

import pytest
from hosts import run_playbook
from mailhost import DIGEST, REPORT, unit_show

UNIT_FILES = [f"/etc/systemd/system/{job}.{kind}" for job in (DIGEST, REPORT) for kind in ("service", "timer")]


def recap_failed(output):
    return [line for line in output.splitlines() if "failed=" in line and "failed=0" not in line]


@pytest.fixture
def second_app_host(tmp_path):
    """An inventory with one more app host, which the run never contacts (--limit)."""
    extra = tmp_path / "standby.yml"
    extra.write_text(
        "all:\n  children:\n    app:\n      hosts:\n"
        "        notifications-standby:\n          ansible_host: 10.213.15.250\n"
    )
    return ["-i", str(extra), "--limit", "notifications-1"]


def test_bad_input_fails_before_anything_changes(host):
    before = unit_show(host, f"{DIGEST}.timer", "TimersCalendar")
    run = run_playbook("05-notifications.yml", "-e", "notifications_deadline_schedule='*-*-* 25:00:00'")
    assert run.returncode != 0
    assert "is not a systemd calendar event" in run.stdout
    assert "changed=0" in run.stdout
    run = run_playbook("05-notifications.yml", "-e", "notifications_host=nowhere")
    assert run.returncode != 0
    assert "which is not in the inventory's group app" in run.stdout
    assert "changed=0" in run.stdout
    assert unit_show(host, f"{DIGEST}.timer", "TimersCalendar") == before


def test_another_designated_host_removes_the_jobs_here_and_back(host, second_app_host):
    away = run_playbook("05-notifications.yml", *second_app_host, "-e", "notifications_host=notifications-standby")
    assert away.returncode == 0, away.stdout[-3000:]
    assert not recap_failed(away.stdout)
    for path in UNIT_FILES:
        assert not host.file(path).exists, path
    with host.sudo():
        timers = host.check_output("systemctl list-timers --all --plain --no-legend 'hypoteky-*'")
        assert DIGEST not in timers
        assert REPORT not in timers
        assert host.check_output("systemctl list-units --all --failed --plain --no-legend 'hypoteky-*'") == ""
        assert host.run(f"systemctl cat {DIGEST}.service").rc != 0

    again = run_playbook("05-notifications.yml", *second_app_host, "-e", "notifications_host=notifications-standby")
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout

    back = run_playbook("05-notifications.yml")
    assert back.returncode == 0, back.stdout[-3000:]
    assert not recap_failed(back.stdout)
    for path in UNIT_FILES:
        assert host.file(path).exists, path
    for job in (DIGEST, REPORT):
        assert host.service(f"{job}.timer").is_enabled
        assert host.service(f"{job}.timer").is_running
