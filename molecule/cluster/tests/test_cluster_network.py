"""The split topology's firewall: the app hosts' gunicorn port answers the
balancer only, MariaDB answers the app hosts only; everyone else's packets
are dropped (filtered, not refused)."""

import pytest
from hosts import address, tcp_probe

testinfra_hosts = ["cluster-lb"]

APPS = ["cluster-app1", "cluster-app2"]
APP_PORT = 8000
DB_PORT = 3306


def probe(host, ip, port):
    """'open', 'refused' or 'filtered' as seen from a test host."""
    rc = host.run(f"timeout 4 bash -c 'exec 3<>/dev/tcp/{ip}/{port}'").rc
    return {0: "open", 1: "refused", 124: "filtered"}.get(rc, f"exit {rc}")


@pytest.mark.parametrize("app", APPS)
def test_app_port_answers_the_balancer_only(cluster, app):
    ip = address(cluster[app])
    other_app = next(name for name in APPS if name != app)
    assert probe(cluster["cluster-lb"], ip, APP_PORT) == "open"
    assert probe(cluster["cluster-db"], ip, APP_PORT) == "filtered"
    assert probe(cluster[other_app], ip, APP_PORT) == "filtered"
    assert probe(cluster["cluster-acme"], ip, APP_PORT) == "filtered"
    assert tcp_probe(ip, APP_PORT) == "filtered"  # from the controller


@pytest.mark.parametrize("app", APPS)
def test_gunicorn_listens_on_the_hosts_own_address_only(cluster, app):
    host = cluster[app]
    with host.sudo():
        listeners = host.check_output(f"ss -Htln 'sport = :{APP_PORT}'").split()
    assert f"{address(host)}:{APP_PORT}" in listeners
    assert f"0.0.0.0:{APP_PORT}" not in listeners
    assert f"*:{APP_PORT}" not in listeners


def test_mariadb_answers_the_app_hosts_only(cluster):
    ip = address(cluster["cluster-db"])
    for app in APPS:
        assert probe(cluster[app], ip, DB_PORT) == "open", app
    assert probe(cluster["cluster-lb"], ip, DB_PORT) == "filtered"
    assert probe(cluster["cluster-acme"], ip, DB_PORT) == "filtered"
    assert tcp_probe(ip, DB_PORT) == "filtered"


def test_each_host_runs_only_its_part(cluster):
    assert not cluster["cluster-lb"].package("mariadb-server").is_installed
    assert not cluster["cluster-lb"].file("/srv/hypoteky/current").exists
    assert not cluster["cluster-db"].package("nginx").is_installed
    assert not cluster["cluster-db"].file("/srv/hypoteky/current").exists
    for app in APPS:
        assert not cluster[app].package("mariadb-server").is_installed, app
        assert not cluster[app].package("nginx").is_installed, app
        assert cluster[app].service("hypoteky.socket").is_running, app
