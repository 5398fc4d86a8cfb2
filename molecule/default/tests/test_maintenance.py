"""Phase 10's maintenance: security updates host by host with a health check,
and a restore drill of the newest scheduled backup into a scratch database;
a second run changes nothing, a damaged backup fails the drill."""

import json

import pytest
from hosts import recap, root_sql, run_playbook

testinfra_hosts = ["default-1"]
DRILL = "/var/lib/hypoteky/evidence/restore-drill/latest.json"


@pytest.fixture(scope="module")
def maintained(host):
    """A scheduled backup as the timer makes it, then maintenance twice."""
    with host.sudo():
        host.check_output("systemctl start hypoteky-db-backup.service")
    return run_playbook("10-maintenance.yml"), run_playbook("10-maintenance.yml")


def test_maintenance_passes_and_a_second_run_changes_nothing(maintained):
    first, second = maintained
    assert first.returncode == 0, first.stdout[-3000:]
    assert second.returncode == 0, second.stdout[-3000:]
    assert recap(second.stdout)["default-1"]["changed"] == 0


def task_result(output, task):
    """What a task printed for its host: the text between its header and the next task's."""
    start = output.index(f"TASK [maintenance : {task}]")
    end = output.find("TASK [", start + 1)
    return output[start : end if end > 0 else None]


@pytest.mark.parametrize(
    "task",
    [
        "Wait for MariaDB to answer",
        "Wait for the app's /readyz on its socket",
        "Test nginx's configuration",
        "Wait for the site's login page through nginx",
    ],
)
def test_maintenance_health_checks_the_host_after_its_updates(maintained, task):
    first, _ = maintained
    assert "ok: [default-1]" in task_result(first.stdout, task)


def test_restore_drill_restored_the_scheduled_backup_into_a_scratch_database(host, maintained):
    with host.sudo():
        drill = json.loads(host.check_output(f"cat {DRILL}"))
    assert drill["drill"] is True
    assert drill["database"] == "hypoteky_drill"
    assert "-scheduled-" in drill["file"]
    assert drill["rows_checked"] is True
    assert drill["mismatch"] == {}
    assert drill["missing_tables"] == []
    assert "klienti_klient" in drill["rows"]
    assert "hypoteky_drill" not in root_sql(host, "SHOW DATABASES", database="mysql").split()
    with host.sudo():
        assert host.file(DRILL).mode == 0o640


@pytest.fixture
def damaged_backup(host, maintained):
    with host.sudo():
        host.check_output("systemctl start hypoteky-db-backup.service")
        newest = host.check_output("ls -1t /var/backups/hypoteky/hypoteky-scheduled-*.sql.zst | head -n 1")
        host.check_output(f"printf 'x' >> {newest}")
    yield newest
    with host.sudo():
        host.check_output(f"rm -f {newest} {newest}.sha256")


def test_a_damaged_backup_fails_the_drill_and_names_the_file(damaged_backup):
    result = run_playbook("10-maintenance.yml", "--tags", "drill")
    assert result.returncode != 0
    assert "The restore drill of" in result.stdout
    assert "checksum mismatch" in result.stdout
    assert damaged_backup.rsplit("/", 1)[1] in result.stdout


def test_no_recent_backup_with_the_label_fails_the_drill(maintained):
    result = run_playbook("10-maintenance.yml", "--tags", "drill", "-e", "backup_drill_label=weekly")
    assert result.returncode != 0
    assert "No backup labelled weekly in /var/backups/hypoteky" in result.stdout
