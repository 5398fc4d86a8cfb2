"""Phase 2's database server: hardened, least-privilege, listening on
loopback only when the app runs on the same host."""

import shlex

import pytest
from hosts import address, tcp_probe

SOCKET = "/run/mysqld/mysqld.sock"
DATABASE = "hypoteky"
APP_USER = "hypoteky"
MIGRATE_USER = "hypoteky_migrate"


def inventory_value(host, name):
    """A variable as Ansible resolves it (templated, vault decrypted)."""
    return host.ansible("debug", f"var={name}", check=False)[name]


@pytest.fixture(scope="module")
def secrets(host):
    return {
        APP_USER: inventory_value(host, "hypoteky_mariadb_app_password"),
        MIGRATE_USER: inventory_value(host, "hypoteky_mariadb_migrate_password"),
    }


def as_root(host, sql):
    """root through the unix socket: the only way root logs in."""
    with host.sudo():
        return host.check_output(f"mariadb --batch --skip-column-names -e {shlex.quote(sql)}")


def as_user(host, user, password, sql, *connection):
    """Run SQL as an account; the password goes through the environment, never argv."""
    args = " ".join(connection or (f"--socket={SOCKET}",))
    return host.run(
        f"MYSQL_PWD={shlex.quote(password)} mariadb --batch --skip-column-names {args} "
        f"-u {shlex.quote(user)} -e {shlex.quote(sql)}"
    )


def test_mariadb_10_11_runs_and_starts_at_boot(host):
    service = host.service("mariadb")
    assert service.is_running
    assert service.is_enabled
    assert as_root(host, "SELECT VERSION()").startswith("10.11.")


def test_listens_on_loopback_only(host):
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening
    assert tcp_probe(address(host), 3306) in ("refused", "filtered")


def test_server_speaks_utf8mb4(host):
    assert as_root(host, "SELECT @@character_set_server, @@collation_server") == "utf8mb4\tutf8mb4_unicode_ci"
    schema_charset = (
        f"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='{DATABASE}'"
    )
    assert as_root(host, schema_charset) == "utf8mb4"


def test_buffer_pool_is_a_quarter_of_memory_on_a_shared_host(host):
    memory_mb = int(host.ansible("setup", "filter=ansible_memtotal_mb")["ansible_facts"]["ansible_memtotal_mb"])
    pool = int(as_root(host, "SELECT @@innodb_buffer_pool_size"))
    expected = int(memory_mb * 0.25) * 1024 * 1024
    # InnoDB rounds the pool up to whole chunks (128 MiB).
    assert expected <= pool < expected + 128 * 1024 * 1024


def test_slow_query_log_and_binary_log_are_on(host):
    assert as_root(host, "SELECT @@slow_query_log, @@log_bin, @@binlog_format") == "1\t1\tROW"
    with host.sudo():
        assert host.file("/var/log/mysql/mariadb-bin.index").exists


def test_root_cannot_log_in_over_tcp(host):
    result = host.run("mariadb -h 127.0.0.1 -u root -e 'SELECT 1'")
    assert result.rc != 0
    assert "Host '127.0.0.1' is not allowed to connect" in result.stderr


def test_root_exists_only_on_localhost(host):
    assert as_root(host, "SELECT host FROM mysql.user WHERE user='root'") == "localhost"


def test_no_anonymous_account(host):
    assert as_root(host, "SELECT COUNT(*) FROM mysql.user WHERE user=''") == "0"
    result = host.run(f"mariadb --socket={SOCKET} -u '' -e 'SELECT 1'")
    assert result.rc != 0


def test_no_test_database(host):
    assert "test" not in as_root(host, "SHOW DATABASES").split()


def test_no_password_file_for_root(host):
    with host.sudo():
        assert not host.file("/root/.my.cnf").exists
        assert not host.file("/etc/mysql/debian.cnf").contains("password = [^ ]")


def test_app_account_sees_only_its_database(host, secrets):
    result = as_user(host, APP_USER, secrets[APP_USER], "SHOW DATABASES")
    assert result.rc == 0, result.stderr
    assert set(result.stdout.split()) == {"information_schema", DATABASE}


def test_app_account_has_exactly_row_privileges(host, secrets):
    grants = as_user(host, APP_USER, secrets[APP_USER], "SHOW GRANTS").stdout
    assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{DATABASE}`.* TO `{APP_USER}`@`localhost`" in grants
    assert "ALL PRIVILEGES" not in grants


def test_app_account_cannot_change_the_schema(host, secrets):
    result = as_user(host, APP_USER, secrets[APP_USER], f"CREATE TABLE {DATABASE}.probe_ddl (id INT)")
    assert result.rc != 0
    assert "command denied" in result.stderr


def test_migration_account_changes_schema_and_app_account_uses_it(host, secrets):
    migrate = as_user(
        host,
        MIGRATE_USER,
        secrets[MIGRATE_USER],
        f"DROP TABLE IF EXISTS {DATABASE}.probe_rows; CREATE TABLE {DATABASE}.probe_rows (id INT PRIMARY KEY)",
    )
    assert migrate.rc == 0, migrate.stderr
    try:
        app = as_user(
            host,
            APP_USER,
            secrets[APP_USER],
            f"INSERT INTO {DATABASE}.probe_rows VALUES (1); SELECT COUNT(*) FROM {DATABASE}.probe_rows",
        )
        assert app.rc == 0, app.stderr
        assert app.stdout.strip() == "1"
    finally:
        as_user(host, MIGRATE_USER, secrets[MIGRATE_USER], f"DROP TABLE {DATABASE}.probe_rows")


def test_wrong_password_is_refused(host):
    result = as_user(host, APP_USER, "not-the-password-at-all", "SELECT 1")
    assert result.rc != 0
    assert "Access denied" in result.stderr


def test_accounts_exist_only_for_local_clients(host):
    hosts = as_root(host, f"SELECT DISTINCT host FROM mysql.user WHERE user IN ('{APP_USER}', '{MIGRATE_USER}')")
    assert hosts.split() == ["localhost"]
