"""The app runtime (role crm_app) on a converged host: service, socket,
environment file, no compilers, readiness, hardening."""

import json

import pytest

APP_USER = "hypoteky"
SOCKET = "/run/hypoteky/gunicorn.sock"


def test_socket_and_service_enabled_and_running(host):
    for unit in ("hypoteky.socket", "hypoteky.service"):
        assert host.service(unit).is_enabled, unit
        assert host.service(unit).is_running, unit


def test_gunicorn_runs_as_the_app_user(host):
    with host.sudo():
        users = host.check_output("ps -o user= -C gunicorn").split()
    assert users, "no gunicorn process"
    assert set(users) == {APP_USER}


def test_socket_reachable_by_root_and_nginx_group_only(host):
    sock = host.file(SOCKET)
    assert sock.is_socket
    assert sock.user == "root"
    assert sock.group == "www-data"
    assert sock.mode == 0o660


def test_app_user_can_write_its_gdpr_erasure_log_but_not_the_evidence(host):
    """The erasure log lives in the service's state directory below
    /var/lib/hypoteky, beside root's evidence directory."""
    with host.sudo():
        assert host.file("/var/lib/hypoteky").mode == 0o755
        assert host.file("/var/lib/hypoteky/evidence").mode == 0o750
        writable = host.run("sudo -u hypoteky test -w /var/lib/hypoteky/gdpr")
        evidence = host.run("sudo -u hypoteky test -r /var/lib/hypoteky/evidence")
    assert writable.rc == 0, "the app cannot write /var/lib/hypoteky/gdpr (GDPR erasure log)"
    assert evidence.rc == 1


def test_env_file_readable_by_root_and_app_group_only(host):
    with host.sudo():
        env = host.file("/etc/hypoteky/hypoteky.env")
        assert env.user == "root"
        assert env.group == APP_USER
        assert env.mode == 0o640
        content = env.content_string
        leftovers = host.check_output("find /etc/hypoteky -name 'hypoteky.env.*'")
    assert 'HYPOTEKY_DEBUG="false"' in content
    assert 'HYPOTEKY_DB_HOST="/run/mysqld/mysqld.sock"' in content
    assert leftovers == "", "a backup of the env file (secrets) was left behind"
    assert host.file("/etc/hypoteky").mode == 0o750


def test_manage_takes_settings_from_stdin_for_migrations(host):
    """The role migrates with `hypoteky-manage --release DIR --env-stdin`: the
    new release's settings and the migration account arrive on standard
    input, so no secret is on a command line or in an environment `ps` shows."""
    wrong = (
        "(cat /etc/hypoteky/hypoteky.env; echo 'HYPOTEKY_DB_USER=\"hypoteky_migrate\"';"
        " echo 'HYPOTEKY_DB_PASSWORD=\"not-the-password\"')"
    )
    with host.sudo():
        refused = host.run(f"{wrong} | hypoteky-manage --env-stdin showmigrations")
        nothing = host.run("hypoteky-manage --env-stdin showmigrations < /dev/null")
        bad_release = host.run("hypoteky-manage --release /nonexistent showmigrations")
        app = host.run("hypoteky-manage showmigrations klienti")
    assert refused.rc != 0
    assert "Access denied for user 'hypoteky_migrate'" in refused.stderr
    assert nothing.rc == 2
    assert "--env-stdin read nothing" in nothing.stderr
    assert bad_release.rc == 2
    assert "--release needs a release directory" in bad_release.stderr
    assert app.rc == 0, app.stderr
    assert "[X] 0001_initial" in app.stdout


@pytest.mark.parametrize("package", ["gcc", "cpp", "g++", "build-essential", "libmariadb-dev", "python3-dev"])
def test_no_build_tool_installed(host, package):
    assert not host.package(package).is_installed


def test_no_compiler_on_path(host):
    assert host.run("command -v gcc || command -v cc || command -v c++").rc != 0


def test_readyz_answers_200_on_the_socket(host):
    with host.sudo():
        out = host.check_output(f"curl -sS --unix-socket {SOCKET} -w '\\n%{{http_code}}' http://localhost/readyz")
    body, status = out.rsplit("\n", 1)
    assert status == "200"
    assert json.loads(body)["status"] == "ok"


def test_current_is_a_root_owned_release_with_its_venv(host):
    current = host.file("/srv/hypoteky/current")
    assert current.is_symlink
    assert current.linked_to.startswith("/srv/hypoteky/releases/")
    release = host.file(current.linked_to)
    assert release.user == "root"
    assert host.file(f"{current.linked_to}/venv/.hypoteky-installed").exists
    assert host.run(f"sudo -u {APP_USER} test -w {current.linked_to}").rc != 0
    with host.sudo():
        assert host.run(f"cd {current.linked_to} && sha256sum --check --quiet --strict SHA256SUMS").rc == 0


def test_units_verify_and_exposure_is_low(host):
    with host.sudo():
        verify = host.run(
            "systemd-analyze verify /etc/systemd/system/hypoteky.socket /etc/systemd/system/hypoteky.service"
        )
        security = host.check_output("systemd-analyze security --no-pager hypoteky.service")
    assert verify.rc == 0, verify.stderr
    score = float(security.rsplit("Overall exposure level for hypoteky.service:", 1)[1].split()[0])
    print(f"systemd-analyze security exposure: {score}")
    assert score <= 2.0
