"""The logs never hold a client's personal data: an adviser logs in through
nginx, creates a client whose data the test knows, searches by birth number
and e-mail, and opens the case; then the app's journal, the whole journal of
that time and nginx's logs hold those requests but none of those values."""

import http.client
import json
import re
import secrets
import socket
import ssl
import time
from datetime import date
from urllib.parse import quote, urlencode

import pytest
from hosts import address

testinfra_hosts = ["monitoring-1"]

ROOT_CA = "/usr/local/share/ca-certificates/hypoteky-test-acme-root.crt"
RELEASE = "/srv/hypoteky/current"


def birth_number(born, female):
    """A valid ten-digit birth number for the date (mod-11 check digit)."""
    month = born.month + (50 if female else 0)
    for serial in range(123, 999):
        prefix = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial:03d}"
        if int(prefix) % 11 != 10:
            return f"{prefix}{int(prefix) % 11}"
    raise AssertionError("no serial with a check digit")


BORN = date(1985, 12, 15)
NUMBER = birth_number(BORN, female=True)
CLIENT = {
    "opened_on": date.today().isoformat(),
    "full_name": "Bohuslava Zurnalova",
    "birth_number": f"{NUMBER[:6]}/{NUMBER[6:]}",
    "date_of_birth": BORN.isoformat(),
    "email": "bohuslava.zurnalova.7431@example.cz",
    "phone": "+420 777 314 159",
    "street": "Logova 17",
    "city": "Kutna Hora",
    "postal_code": "284 01",
    "id_card_number": "203948571",
    "employer": "Zurnal Logistika s.r.o.",
    "monthly_income": "61234",
    "bank_account": "1928374650/0800",
    "financing_purpose": "Koupe bytu na Logove",
    "property_price": "5400000",
    "loan_amount": "4300000",
    "own_resources": "1100000",
    "bank": "kb",
}
# Every form a value could take in a log line.
SECRETS = [
    CLIENT["full_name"],
    "Zurnalova",
    NUMBER,
    CLIENT["birth_number"],
    CLIENT["email"],
    CLIENT["phone"],
    CLIENT["phone"].replace(" ", ""),
    "777314159",
    CLIENT["street"],
    CLIENT["id_card_number"],
    CLIENT["bank_account"],
    "1928374650",
    CLIENT["employer"],
    CLIENT["financing_purpose"],
    "bohuslava.zurnalova.7431%40example.cz",
]


class Browser:
    """HTTPS to the web host's address as the site's name (verified against
    the ACME test CA's root), with a cookie jar and Django's CSRF dance."""

    def __init__(self, ip, domain, cadata):
        self.ip, self.domain = ip, domain
        self.context = ssl.create_default_context(cadata=cadata)
        self.cookies = {}

    def request(self, method, path, form=None):
        conn = http.client.HTTPSConnection(self.domain, 443, context=self.context, timeout=30)
        conn.sock = self.context.wrap_socket(socket.create_connection((self.ip, 443), 30), server_hostname=self.domain)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Referer": f"https://{self.domain}{path}",
            "User-Agent": "hypoteky-log-test",
        }
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.domain}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value
        return response, text


@pytest.fixture(scope="module")
def session(host):
    """Seeds a demo adviser (the app's own command, as the app user with the
    environment file), then drives the site as that adviser."""
    password = secrets.token_urlsafe(16)  # may start with "-": passed as --password=...
    with host.sudo():
        host.check_output(
            "systemd-run --quiet --wait --pipe --uid=hypoteky --gid=hypoteky"
            f" -p EnvironmentFile=/etc/hypoteky/hypoteky.env -E DJANGO_SETTINGS_MODULE=hypoteky.settings"
            f" --working-directory={RELEASE} {RELEASE}/venv/bin/python -m django"
            f" seed_demo_data --cases 0 --advisers 1 --password={password}"
        )
        cadata = host.file(ROOT_CA).content_string
    domain = host.ansible("debug", "var=hypoteky_domain", check=False)["hypoteky_domain"]
    since = int(host.check_output("date +%s")) - 1
    browser = Browser(address(host), domain, cadata)
    flow = {"since": since}

    response, page = browser.request("GET", "/login/")
    assert response.status == 200
    assert "csrftoken" in browser.cookies
    response, _ = browser.request("POST", "/login/", {"username": "poradce01", "password": password, "otp_token": ""})
    assert response.status == 302, "the demo adviser could not log in"

    response, page = browser.request("GET", "/klienti/novy/")
    assert response.status == 200
    response, page = browser.request("POST", "/klienti/novy/", CLIENT)
    assert response.status == 302, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', page)
    flow["pk"] = int(re.search(r"/klienti/(\d+)/$", response.getheader("Location")).group(1))

    for term in (CLIENT["birth_number"], CLIENT["email"]):
        response, page = browser.request("POST", "/klienti/", {"q": term})
        assert response.status == 200
        assert CLIENT["full_name"] in page, "the search did not find the client"

    # The API searches by query string: the logs keep the path only.
    response, page = browser.request("GET", "/api/klienti/?search=" + quote(CLIENT["email"]))
    assert response.status == 200
    assert json.loads(page)["count"] >= 1, "the API search did not find the client"

    response, page = browser.request("GET", f"/klienti/{flow['pk']}/")
    assert response.status == 200
    assert CLIENT["full_name"] in page
    assert CLIENT["email"] in page
    response, page = browser.request("GET", f"/klienti/{flow['pk']}/upravit/")
    assert response.status == 200
    assert CLIENT["id_card_number"] in page
    time.sleep(1)  # the journal's last lines
    with host.sudo():
        flow["app"] = host.check_output(f"journalctl --no-pager -o cat --since @{since} -u hypoteky.service")
        flow["journal"] = host.check_output(f"journalctl --no-pager -o verbose --since @{since}")
        flow["nginx"] = host.check_output("cat /var/log/nginx/hypoteky.access.log /var/log/nginx/hypoteky.error.log")
    return flow


def test_the_requests_were_logged_by_gunicorn_and_nginx(session):
    pk = session["pk"]
    for log in (session["app"], session["nginx"]):
        assert '"POST /login/ HTTP/1.1" 302' in log
        assert '"POST /klienti/novy/ HTTP/1.1" 302' in log
        assert '"POST /klienti/ HTTP/1.1" 200' in log
        assert '"GET /api/klienti/ HTTP/1.1" 200' in log
        assert f'"GET /klienti/{pk}/ HTTP/1.1" 200' in log
        assert f'"GET /klienti/{pk}/upravit/ HTTP/1.1" 200' in log


@pytest.mark.parametrize("log", ["app", "journal", "nginx"])
def test_no_personal_data_in_the_logs(session, log):
    text = session[log]
    assert text.strip()
    leaked = [value for value in SECRETS if value.lower() in text.lower()]
    assert leaked == [], f"personal data in the {log} log"
