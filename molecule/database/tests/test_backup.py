"""Verified backups of the app's database and their restore: a restore brings
back exactly the rows that were backed up, and drops what came after."""

import json

import pytest
from hosts import root_sql

BACKUP_DIR = "/var/backups/hypoteky"


def as_root(host, command):
    with host.sudo():
        return host.run(command)


def summary(result):
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def probe_table(host):
    root_sql(
        host,
        "DROP TABLE IF EXISTS probe_backup; CREATE TABLE probe_backup (id INT PRIMARY KEY, note VARCHAR(20)); "
        "INSERT INTO probe_backup SELECT seq, CONCAT('row ', seq) FROM seq_1_to_100",
    )
    yield "probe_backup"
    root_sql(host, "DROP TABLE IF EXISTS probe_backup; DROP TABLE IF EXISTS probe_after_backup")


def test_tools_and_directory_belong_to_root_only(host):
    with host.sudo():
        for tool in ("hypoteky-db-backup", "hypoteky-db-restore"):
            f = host.file(f"/usr/local/sbin/{tool}")
            assert (f.user, f.mode) == ("root", 0o750)
        d = host.file(BACKUP_DIR)
        assert (d.user, d.group, d.mode) == ("root", "root", 0o700)


def test_backups_are_scheduled(host):
    timer = host.service("hypoteky-db-backup.timer")
    assert timer.is_enabled
    assert timer.is_running
    assert "02:30:00" in host.check_output("systemctl show -p TimersCalendar hypoteky-db-backup.timer")


def test_scheduled_backup_runs_in_its_hardened_unit(host, probe_table):
    with host.sudo():
        host.check_output("systemctl start hypoteky-db-backup.service")
        assert host.service("hypoteky-db-backup.service").systemd_properties["Result"] == "success"
        newest = host.check_output(f"ls -1t {BACKUP_DIR}/hypoteky-scheduled-*.sql.zst | head -n 1")
        assert host.file(f"{newest}.sha256").exists


def test_restore_brings_back_exactly_the_backed_up_rows(host, probe_table):
    backup = summary(as_root(host, "hypoteky-db-backup --label roundtrip --full-verify"))
    assert backup["rows"][probe_table] == 100
    assert probe_table in backup["tables"]
    with host.sudo():
        assert host.file(backup["file"]).size == backup["bytes"]
        manifest = host.file(f"{BACKUP_DIR}/manifest.jsonl").content_string
    assert backup["file"] in manifest

    # What a failed migration might leave: rows gone, a new table.
    root_sql(host, "DELETE FROM probe_backup WHERE id > 60; CREATE TABLE probe_after_backup (id INT)")

    restored = summary(as_root(host, f"hypoteky-db-restore {backup['file']} --confirm hypoteky"))
    assert restored["rows_checked"] is True
    assert restored["mismatch"] == {}
    assert root_sql(host, "SELECT COUNT(*), MAX(note) FROM probe_backup") == "100\trow 99"
    assert "probe_after_backup" not in root_sql(host, "SHOW TABLES").split()


def test_restore_demands_the_database_name_as_confirmation(host, probe_table):
    result = as_root(host, "hypoteky-db-restore --latest")
    assert result.rc != 0
    assert "repeat its name: --confirm hypoteky" in result.stderr
    assert root_sql(host, "SELECT COUNT(*) FROM probe_backup") == "100"


def test_restore_refuses_a_damaged_backup(host, probe_table):
    backup = summary(as_root(host, "hypoteky-db-backup --label damaged"))
    with host.sudo():
        # Flip one byte in the middle of the file; the checksum file stays.
        host.check_output(
            f"printf '\\x00' | dd of={backup['file']} bs=1 seek=$(( {backup['bytes']} / 2 )) conv=notrunc status=none"
        )
    result = as_root(host, f"hypoteky-db-restore {backup['file']} --confirm hypoteky")
    assert result.rc != 0
    assert "checksum mismatch" in result.stderr
    assert root_sql(host, "SELECT COUNT(*) FROM probe_backup") == "100"


def test_bad_label_is_refused_before_anything_is_written(host):
    with host.sudo():
        before = host.check_output(f"ls -1 {BACKUP_DIR} | wc -l")
        result = host.run("hypoteky-db-backup --label 'no spaces/allowed'")
        after = host.check_output(f"ls -1 {BACKUP_DIR} | wc -l")
    assert result.rc != 0
    assert "use 1-64 letters" in result.stderr
    assert before == after


def test_only_the_newest_backups_are_kept_and_no_partial_file_remains(host, probe_table):
    with host.sudo():
        for _ in range(15):
            host.check_output("hypoteky-db-backup --label rotation")
        dumps = host.check_output(f"ls -1 {BACKUP_DIR}/*.sql.zst | wc -l")
        checksums = host.check_output(f"ls -1 {BACKUP_DIR}/*.sql.zst.sha256 | wc -l")
        partial = host.run(f"ls -1a {BACKUP_DIR} | grep -c partial")
    assert dumps == "14"
    assert checksums == "14"
    assert partial.stdout.strip() == "0"
