"""restore.yml on a running app: asks for confirmation, brings back the
backed-up rows, and the app's own data checks pass afterwards."""

from hosts import root_sql, run_playbook


def test_restore_needs_the_database_name_and_changes_nothing_without_it(host):
    cases = root_sql(host, "SELECT COUNT(*) FROM klienti_klient")
    result = run_playbook("restore.yml")
    assert result.returncode != 0
    assert "-e restore_confirm=hypoteky" in result.stdout
    assert root_sql(host, "SELECT COUNT(*) FROM klienti_klient") == cases
    assert host.service("hypoteky.socket").is_running


def test_backup_then_restore_brings_back_the_rows_and_the_app_checks_them(host):
    backup = run_playbook("backup.yml", "-e", "backup_label=before-restore-test")
    assert backup.returncode == 0, backup.stdout[-3000:]
    cases = root_sql(host, "SELECT COUNT(*) FROM klienti_klient")
    migrations = root_sql(host, "SELECT COUNT(*) FROM django_migrations")
    root_sql(host, "INSERT INTO django_session VALUES ('after-backup', 'x', NOW() + INTERVAL 1 DAY)")
    sessions = root_sql(host, "SELECT COUNT(*) FROM django_session")

    restore = run_playbook("restore.yml", "-e", "restore_confirm=hypoteky")

    assert restore.returncode == 0, restore.stdout[-3000:]
    assert '"rows_checked": true' in restore.stdout
    assert '"mismatch": {}' in restore.stdout
    assert root_sql(host, "SELECT COUNT(*) FROM klienti_klient") == cases
    assert root_sql(host, "SELECT COUNT(*) FROM django_migrations") == migrations
    assert int(root_sql(host, "SELECT COUNT(*) FROM django_session")) == int(sessions) - 1
    assert host.service("hypoteky.socket").is_running
