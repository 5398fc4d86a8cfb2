"""A migration that fails leaves the data as it was: the play backs the
database up first, the failure restores exactly the backed-up rows, the
release in `current` stays, and the play fails saying what happened and
where the backup is."""

import shlex

from hosts import root_sql, run_playbook

APP_PYTHON = "/srv/hypoteky/current/venv/bin/python"
SOCKET = "/run/hypoteky/gunicorn.sock"
MIGRATE_ENV = "/run/hypoteky-test-migrate.env"


def manage(host, *args, migrate_password=None):
    """A management command with the app's environment (as the migration
    account when its password is given: a second, root-only environment file
    overrides the app's account, so the password is on no command line)."""
    files = "-p EnvironmentFile=/etc/hypoteky/hypoteky.env "
    if migrate_password:
        host.ansible(
            "copy",
            f"dest={MIGRATE_ENV} mode=0600 owner=root "
            f"content='HYPOTEKY_DB_USER=hypoteky_migrate\nHYPOTEKY_DB_PASSWORD={migrate_password}\n'",
            become=True,
            check=False,
        )
        files += f"-p EnvironmentFile={MIGRATE_ENV} "
    command = " ".join(shlex.quote(a) for a in args)
    try:
        with host.sudo():
            return host.check_output(
                "systemd-run --quiet --wait --pipe --uid=hypoteky --gid=hypoteky "
                f"{files}-E DJANGO_SETTINGS_MODULE=hypoteky.settings {APP_PYTHON} -m django {command}"
            )
    finally:
        with host.sudo():
            host.run(f"rm -f {MIGRATE_ENV}")


def database_state(host):
    tables = root_sql(host, "SHOW TABLES").split()
    counts = {t: root_sql(host, f"SELECT COUNT(*) FROM `{t}`") for t in tables}
    checksum = root_sql(host, "CHECKSUM TABLE klienti_klient EXTENDED").split()[-1]
    applied = root_sql(host, "SELECT app, name FROM django_migrations ORDER BY id")
    return counts, checksum, applied


def readyz(host):
    with host.sudo():
        return host.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' --unix-socket {SOCKET} http://localhost/readyz"
        )


def test_failed_migration_restores_the_backup_and_keeps_the_release(host):
    migrate_password = host.ansible("debug", "var=hypoteky_mariadb_migrate_password", check=False)[
        "hypoteky_mariadb_migrate_password"
    ]
    if root_sql(host, "SELECT COUNT(*) FROM klienti_klient") == "0":
        manage(host, "seed_demo_data", "--cases", "30", "--password", "molecule-only-demo-password")
    release = host.file("/srv/hypoteky/current").linked_to

    # The database one migration behind the release, as when a release with
    # a new migration is deployed.
    newest, previous = root_sql(
        host, "SELECT name FROM django_migrations WHERE app='klienti' ORDER BY id DESC LIMIT 2"
    ).split()
    manage(host, "migrate", "klienti", previous, "--noinput", migrate_password=migrate_password)
    before = database_state(host)
    assert int(before[0]["klienti_klient"]) >= 30

    # The fault, outside the backed-up database: the migration account loses
    # the rights the migration needs, so it fails half-way through the deploy.
    root_sql(host, "REVOKE INDEX, ALTER ON hypoteky.* FROM 'hypoteky_migrate'@'localhost'", database="mysql")
    try:
        result = run_playbook("06-app.yml")
        assert result.returncode != 0, result.stdout[-3000:]
        assert f"Migrating to release {release.rsplit('/', 1)[-1]} failed" in result.stdout
        assert "The database was restored from" in result.stdout
        assert "/var/backups/hypoteky/hypoteky-pre-migrate-" in result.stdout
        # Exactly what was backed up, the applied migrations included.
        assert database_state(host) == before
        assert host.file("/srv/hypoteky/current").linked_to == release
    finally:
        # Phase 2 puts the account's rights back; the deploy then migrates.
        regrant = run_playbook("02-database.yml")
        assert regrant.returncode == 0, regrant.stdout[-3000:]
        redeploy = run_playbook("06-app.yml")
        assert redeploy.returncode == 0, redeploy.stdout[-3000:]
    assert root_sql(host, f"SELECT COUNT(*) FROM django_migrations WHERE app='klienti' AND name='{newest}'") == "1"
    assert readyz(host) == "200"
