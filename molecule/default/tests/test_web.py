"""Phase 6's web server as a client sees it: pebble's certificate for the
site's name, TLS 1.2/1.3 only, security headers, HTTP -> HTTPS except ACME
challenges, the real app through nginx, rate limits, renewals, and a broken
configuration that never takes the running site down."""

import http.client
import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from hosts import address

testinfra_hosts = ["default-1"]

ROOT = Path(__file__).resolve().parents[3]
ACME_CA = "/etc/letsencrypt/hypoteky-acme-ca.pem"
SITE = "/etc/nginx/sites-available/hypoteky.conf"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def inventory_value(host, name):
    """A variable as Ansible resolves it (templated, vault decrypted)."""
    return host.ansible("debug", f"var={name}", check=False)[name]


class SiteConnection(http.client.HTTPSConnection):
    """HTTPS to the web host's address, with the site's name as SNI and Host."""

    def __init__(self, ip, domain, context):
        super().__init__(domain, 443, context=context, timeout=15)
        self.ip = ip

    def connect(self):
        sock = socket.create_connection((self.ip, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@pytest.fixture(scope="module")
def domain(host):
    return inventory_value(host, "hypoteky_domain")


@pytest.fixture(scope="module")
def acme_server(host, domain):
    with host.sudo():
        renewal = host.file(f"/etc/letsencrypt/renewal/{domain}.conf").content_string
    return re.search(r"(?m)^server\s*=\s*(\S+)", renewal).group(1)


@pytest.fixture(scope="module")
def pebble_root(host, acme_server):
    """The root pebble issues under, from its management port (trusting its TLS CA)."""
    tls_ca = host.file(ACME_CA).content_string
    management = acme_server.split("/")[2].split(":")[0]
    conn = http.client.HTTPSConnection(management, 15000, context=ssl.create_default_context(cadata=tls_ca), timeout=15)
    conn.request("GET", "/roots/0")
    response = conn.getresponse()
    assert response.status == 200
    return response.read().decode()


@pytest.fixture(scope="module")
def site(host, domain, pebble_root):
    """GET over HTTPS, verifying the chain against pebble's root and the name
    against the site's (after certbot's reload, which returns before nginx
    serves the new certificate)."""
    ip = address(host)
    context = ssl.create_default_context(cadata=pebble_root)

    def get(path, headers=None, conn=None):
        own = conn is None
        conn = conn or SiteConnection(ip, domain, context)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        if own:
            conn.close()
        return response, body

    deadline = time.monotonic() + 30
    while True:
        try:
            get("/healthz")
            break
        except ssl.SSLCertVerificationError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    get.new_connection = lambda: SiteConnection(ip, domain, context)
    return get


def handshake(host, domain, version):
    """The protocol a TLS handshake pinned to one version ends with (raises if refused)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old protocols at all
    context.minimum_version = version
    context.maximum_version = version
    with (
        socket.create_connection((address(host), 443), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=domain) as tls,
    ):
        return tls.version()


def test_certificate_is_pebbles_for_the_site(site, domain):
    response, _ = site("/healthz")
    assert response.status == 200
    conn = site.new_connection()
    conn.connect()
    cert = conn.sock.getpeercert()
    conn.close()
    names = [value for kind, value in cert["subjectAltName"] if kind == "DNS"]
    assert names == [domain]
    issuer = dict(item[0] for item in cert["issuer"])
    assert "Pebble Intermediate CA" in issuer["commonName"]


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_is_refused_by_the_server(host, domain, version):
    with pytest.raises(ssl.SSLError) as refused:
        handshake(host, domain, version)
    assert "PROTOCOL_VERSION" in str(refused.value).upper()


@pytest.mark.parametrize(
    ("version", "name"), [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")]
)
def test_tls_1_2_and_1_3_are_accepted(host, domain, version, name):
    assert handshake(host, domain, version) == name


def test_http2_is_offered(host, domain):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((address(host), 443), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=domain) as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"


def test_unknown_names_get_no_certificate(host):
    with pytest.raises(ssl.SSLError):
        handshake(host, "not-this-site.invalid", ssl.TLSVersion.TLSv1_3)


def test_session_tickets_off_and_no_stapling_without_a_responder(host, domain):
    with host.sudo():
        config = host.check_output("nginx -T 2>/dev/null")
        responder = host.check_output(f"openssl x509 -noout -ocsp_uri -in /etc/letsencrypt/live/{domain}/cert.pem")
    assert "ssl_session_tickets off;" in config
    assert responder == ""  # pebble names no OCSP responder
    assert "ssl_stapling on;" not in config


def test_login_page_of_the_app_answers_through_nginx(site):
    response, body = site("/login/")
    assert response.status == 200  # not a redirect: Django sees X-Forwarded-Proto https
    assert "csrfmiddlewaretoken" in body
    assert response.getheader("Set-Cookie", "").find("csrftoken") >= 0


def test_security_headers_once_each(site):
    response, _ = site("/login/")
    headers = response.headers
    assert headers.get_all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"]
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers.get_all("Referrer-Policy") == ["same-origin"]
    assert headers.get_all("X-Frame-Options") == ["DENY"]
    assert headers.get_all("Content-Security-Policy") == [CSP]
    assert headers.get_all("Server") == ["nginx"]


def test_static_files_from_the_release_with_long_caching(host, site):
    static = "/srv/hypoteky/current/static/klienti/css"
    hashed = [name for name in host.file(static).listdir() if re.match(r"app\.[0-9a-f]{12}\.css$", name)]
    assert hashed
    response, body = site(f"/static/klienti/css/{hashed[0]}")
    assert response.status == 200
    assert body == host.file(f"{static}/{hashed[0]}").content_string
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.headers.get_all("Content-Security-Policy") == [CSP]
    assert response.headers.get_all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"]


def http_get(host, domain, path):
    conn = http.client.HTTPConnection(address(host), 80, timeout=10)
    conn.request("GET", path, headers={"Host": domain})
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    return response, body


def test_http_redirects_to_https(host, domain):
    response, _ = http_get(host, domain, "/klienti/?strana=2")
    assert response.status == 301
    assert response.getheader("Location") == f"https://{domain}/klienti/?strana=2"


def test_http_serves_acme_challenges_without_redirect(host, domain):
    token = "hypoteky-test-token"
    path = f"/var/www/acme/.well-known/acme-challenge/{token}"
    with host.sudo():
        host.check_output(f"install -D -m 0644 /dev/null {path} && echo proof > {path}")
    try:
        response, body = http_get(host, domain, f"/.well-known/acme-challenge/{token}")
        assert response.status == 200
        assert body == "proof\n"
        missing, _ = http_get(host, domain, "/.well-known/acme-challenge/no-such-token")
        assert missing.status == 404
    finally:
        with host.sudo():
            host.run(f"rm -f {path}")


def test_one_certificate_was_issued_and_renewal_is_the_timer_alone(host, domain):
    with host.sudo():
        archive = host.check_output(f"ls /etc/letsencrypt/archive/{domain}")
        cron = host.run("grep -rl certbot /etc/cron.d /etc/crontab /var/spool/cron 2>/dev/null")
        hook = host.file("/etc/letsencrypt/renewal-hooks/deploy/hypoteky-reload-nginx")
        assert hook.mode == 0o755
    assert sorted(archive.split()) == ["cert1.pem", "chain1.pem", "fullchain1.pem", "privkey1.pem"]
    assert host.service("certbot.timer").is_enabled
    assert host.service("certbot.timer").is_running
    assert cron.stdout.strip() == ""


def test_certbot_renew_dry_run_against_pebble(host, acme_server):
    with host.sudo():
        result = host.run(
            f"REQUESTS_CA_BUNDLE={ACME_CA} certbot renew --dry-run --non-interactive"
            f" --no-random-sleep-on-renew --server {acme_server}"
        )
    assert result.rc == 0, result.stderr
    assert "Congratulations, all simulated renewals succeeded" in result.stdout + result.stderr


def test_broken_template_fails_the_play_and_the_site_keeps_serving(host, site):
    with host.sudo():
        before = host.file(SITE).sha256sum
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(ROOT / "molecule" / "default" / "break-nginx.yml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "failed to validate" in output
    assert re.search(r'unknown directive \\*"this_is_not_an_nginx_directive', output), output[-3000:]
    with host.sudo():
        assert host.file(SITE).sha256sum == before
        assert "this_is_not_an_nginx_directive" not in host.check_output("nginx -T 2>/dev/null")
    assert host.service("nginx").is_running
    response, _ = site("/healthz")
    assert response.status == 200


def hammer(site, path, count):
    conn = site.new_connection()
    statuses, pages = [], []
    for _ in range(count):
        response, body = site(path, conn=conn)
        statuses.append(response.status)
        if response.status == 429:
            pages.append(body)
    conn.close()
    return statuses, pages


def test_login_is_rate_limited_with_a_clear_page(site):
    statuses, pages = hammer(site, "/login/", 12)
    assert statuses[0] == 200
    assert 429 in statuses
    assert "Too many requests" in pages[0]
    assert "Příliš mnoho požadavků" in pages[0]


def test_api_is_rate_limited(site):
    statuses, _ = hammer(site, "/api/klienti/", 40)
    assert statuses[0] in (401, 403)
    assert 429 in statuses
