"""The balancer on its own host: every app host is one upstream server in a
file of its own, both app hosts answer requests that come through it (their
gunicorn access logs name the balancer as the client), and static files come
from the app hosts' releases."""

import json
import uuid

import pytest
from balancer import get
from hosts import address

testinfra_hosts = ["cluster-lb"]

APPS = ["cluster-app1", "cluster-app2"]
UPSTREAMS = "/etc/nginx/hypoteky-upstreams"


@pytest.fixture(scope="module")
def domain(cluster):
    return cluster["cluster-lb"].ansible("debug", "var=hypoteky_domain", check=False)["hypoteky_domain"]


def test_every_app_host_is_an_upstream_server_and_none_is_down(cluster):
    lb = cluster["cluster-lb"]
    with lb.sudo():
        names = sorted(lb.check_output(f"ls {UPSTREAMS}").split())
        assert names == [f"{app}.conf" for app in APPS]
        for app in APPS:
            line = lb.file(f"{UPSTREAMS}/{app}.conf").content_string
            assert line == f"server {address(cluster[app])}:8000 fail_timeout=0;\n"
        assert f"include {UPSTREAMS}/*.conf;" in lb.file("/etc/nginx/sites-available/hypoteky.conf").content_string


def test_both_app_hosts_answer_through_the_balancer(cluster, domain):
    marker = uuid.uuid4().hex
    lb_ip = address(cluster["cluster-lb"])
    for number in range(20):
        status, _, body = get(lb_ip, domain, "/readyz", user_agent=f"probe-{marker}-{number}")
        assert status == 200, body[:300]
    answered = {}
    for app in APPS:
        host = cluster[app]
        with host.sudo():
            log = host.check_output("journalctl -u hypoteky.service --since=-10min --no-pager -o cat")
        # gunicorn's access log: CLIENT "METHOD PATH PROTOCOL" STATUS BYTES TIME "USER-AGENT"
        lines = [line for line in log.splitlines() if '"GET /readyz HTTP/1.' in line and f'"probe-{marker}-' in line]
        answered[app] = len(lines)
        # The client gunicorn sees is the balancer (nginx passes the visitor in X-Forwarded-For).
        assert all(line.split()[0] == lb_ip for line in lines), lines[:3]
    assert all(count > 0 for count in answered.values()), answered
    assert sum(answered.values()) == 20, answered


def test_static_files_come_from_the_app_hosts(cluster, domain):
    app = cluster["cluster-app1"]
    manifest = json.loads(app.file("/srv/hypoteky/current/static/staticfiles.json").content_string)
    hashed = next(name for name in manifest["paths"].values() if name.endswith(".css"))
    lb_ip = address(cluster["cluster-lb"])
    status, headers, body = get(lb_ip, domain, f"/static/{hashed}")
    assert status == 200
    assert body == app.file(f"/srv/hypoteky/current/static/{hashed}").content
    assert "max-age=" in headers.get("Cache-Control", "")
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
    # A file no release has: every server is asked, then 404 (not an error page).
    status, _, _ = get(lb_ip, domain, f"/static/missing-{uuid.uuid4().hex}.css")
    assert status == 404
