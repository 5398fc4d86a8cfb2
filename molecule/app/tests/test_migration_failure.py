"""A migration that fails leaves the data as it was: the play backs the
database up first, the failure restores exactly the backed-up rows, the
serving release stays, and the play fails saying what happened and where
the backup is."""

import shlex

from hosts import run_playbook

APP_PYTHON = "/srv/hypoteky/current/venv/bin/python"


def root_sql(host, sql):
    with host.sudo():
        return host.check_output(f"mariadb --batch --skip-column-names hypoteky -e {shlex.quote(sql)}")


def manage(host, *args):
    """A management command as the app account, with the app's environment."""
    command = " ".join(shlex.quote(a) for a in args)
    with host.sudo():
        return host.check_output(
            "systemd-run --quiet --wait --pipe --uid=hypoteky --gid=hypoteky "
            "-p EnvironmentFile=/etc/hypoteky/hypoteky.env -E DJANGO_SETTINGS_MODULE=hypoteky.settings "
            f"{APP_PYTHON} -m django {command}"
        )


def database_state(host):
    tables = root_sql(host, "SHOW TABLES").split()
    counts = {t: root_sql(host, f"SELECT COUNT(*) FROM `{t}`") for t in tables}
    checksum = root_sql(host, "CHECKSUM TABLE klienti_klient EXTENDED").split()[-1]
    return counts, checksum


def test_failed_migration_restores_the_backup_and_keeps_the_release(host):
    if root_sql(host, "SELECT COUNT(*) FROM klienti_klient") == "0":
        manage(host, "seed_demo_data", "--cases", "30", "--password", "molecule-only-demo-password")
    release = host.file("/srv/hypoteky/current").linked_to
    counts_before, checksum_before = database_state(host)
    assert int(counts_before["klienti_klient"]) >= 30

    # The fault: the newest migration looks unapplied while its schema change
    # is in place, so applying it again fails (as on a drifted schema).
    newest = root_sql(host, "SELECT name FROM django_migrations WHERE app='klienti' ORDER BY id DESC LIMIT 1")
    root_sql(host, f"DELETE FROM django_migrations WHERE app='klienti' AND name='{newest}'")

    result = run_playbook("06-app.yml")

    assert result.returncode != 0, result.stdout[-3000:]
    assert "Migrating to release" in result.stdout
    assert "The database was restored" in result.stdout
    assert "/var/backups/hypoteky/hypoteky-pre-migrate-" in result.stdout
    # Exactly what was backed up, the migration record included.
    assert database_state(host) == (counts_before, checksum_before)
    assert root_sql(host, f"SELECT COUNT(*) FROM django_migrations WHERE app='klienti' AND name='{newest}'") == "1"
    # The release that served before still serves.
    assert host.file("/srv/hypoteky/current").linked_to == release
    with host.sudo():
        status = host.check_output(
            "curl -s -o /dev/null -w '%{http_code}' --unix-socket /run/hypoteky/gunicorn.sock http://localhost/readyz"
        )
    assert status == "200"
