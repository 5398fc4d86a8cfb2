"""Helpers for the browser end-to-end tests: where the site is, test users
made on the app host for one run, and Debian's Chromium driven by Playwright.

The target comes from the Molecule inventory while a scenario runs
(MOLECULE_INVENTORY_FILE), else from the environment, with the sandbox's
values (`make up`) as defaults:

    HYPOTEKY_E2E_ADDRESS    the web host's address         (10.213.10.2)
    HYPOTEKY_E2E_DOMAIN     the site's name                 (hypoteky.sandbox.test)
    HYPOTEKY_E2E_HOST       the app host's inventory name   (sandbox)
    HYPOTEKY_E2E_INVENTORY  the inventory it is in          (inventories/sandbox)
"""

import base64
import hashlib
import os
import secrets
import shlex
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import testinfra
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
# Django 5.2's PBKDF2 work factor: the app keeps the hash as it is.
PBKDF2_ITERATIONS = 1_000_000


@dataclass
class Target:
    address: str
    domain: str
    host: object  # testinfra host of an app host, for management commands

    @property
    def base_url(self):
        return f"https://{self.domain}"


def target():
    """The site under test and an app host to run management commands on."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if inventory:
        name = os.environ.get("HYPOTEKY_E2E_HOST", "default-1")
        host = testinfra.get_host(f"ansible://{name}?ansible_inventory={Path(inventory).parent}")
        variables = host.ansible.get_variables()
        return Target(variables["ansible_host"], variables["hypoteky_domain"], host)
    inventory = os.environ.get("HYPOTEKY_E2E_INVENTORY", str(ROOT / "inventories" / "sandbox"))
    name = os.environ.get("HYPOTEKY_E2E_HOST", "sandbox")
    return Target(
        os.environ.get("HYPOTEKY_E2E_ADDRESS", "10.213.10.2"),
        os.environ.get("HYPOTEKY_E2E_DOMAIN", "hypoteky.sandbox.test"),
        testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}"),
    )


def manage_shell(host, code):
    """Python in the app's Django shell on the host, as the app user; returns stdout."""
    with host.sudo():
        return host.check_output(f"hypoteky-manage shell --verbosity 0 --command {shlex.quote(code)}")


def password_hash(password):
    """Django's PBKDF2 hash of a password, made here: only the hash goes to the
    host, so the password is on no command line and in no log."""
    salt = secrets.token_hex(11)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${base64.b64encode(digest).decode()}"


@dataclass
class User:
    username: str
    password: str = field(repr=False)  # never in a test report or a log
    role: str = ""


def create_users(host, run_id, roles):
    """Users of the given roles (app group names) for this run only, with a
    random password each; returns them by role."""
    users = {
        role: User(f"e2e-{run_id}-{role}-{i}", secrets.token_urlsafe(18), group)
        for i, (role, group) in enumerate(roles.items(), start=1)
    }
    rows = [(u.username, password_hash(u.password), u.role) for u in users.values()]
    manage_shell(
        host,
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        f"for username, password, group in {rows!r}:\n"
        "    user, _ = get_user_model().objects.get_or_create(\n"
        "        username=username, defaults={'first_name': 'E2E', 'last_name': group})\n"
        "    user.password, user.is_active = password, True\n"
        "    user.save()\n"
        "    user.groups.set([Group.objects.get(name=group)])\n",
    )
    return users


def retire_users(host, users, case_ids):
    """After the run: the test cases' personal data erased (as a manager
    would) and the users unable to log in, so the site keeps no working
    login and no test case in its reports."""
    names = [u.username for u in users.values()]
    manage_shell(
        host,
        "from django.contrib.auth import get_user_model\n"
        "from klienti import access, gdpr, roles\n"
        f"users = get_user_model().objects.filter(username__in={names!r})\n"
        "manager = next(u for u in users if roles.is_manager(u))\n"
        f"for klient in access.cases_editable_by(manager).filter(pk__in={list(case_ids)!r}):\n"
        # The erasure log's row is the record; its file copy is for replaying real
        # erasures after a restore, which a test case does not need.
        "    gdpr.erase_case(manager, klient, log_file=False)\n"
        "for user in users:\n"
        "    user.set_unusable_password()\n"
        "    user.is_active = False\n"
        "    user.save()\n",
    )


class Browser:
    """One Chromium per user, each on a fresh profile directory."""

    def __init__(self, playwright, site):
        self.playwright = playwright
        self.site = site
        self.contexts = []

    def open(self):
        profile = tempfile.mkdtemp(prefix="hypoteky-e2e-")
        context = self.playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--host-resolver-rules=MAP {self.site.domain} {self.site.address}",
            ],
            # pebble's certificate is not in Chromium's store; certificates
            # are proven by the web and audit scenarios, not here.
            ignore_https_errors=True,
            accept_downloads=True,
            locale="cs-CZ",
            timezone_id="Europe/Prague",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        self.contexts.append((context, profile))
        return context.pages[0] if context.pages else context.new_page()

    def close(self):
        for context, profile in self.contexts:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


class Screenshots:
    """Numbered screenshots of one test: artifacts/e2e/<test>/NN-step.png."""

    def __init__(self, test_name):
        self.directory = ARTIFACTS / test_name
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        self.count = 0

    def take(self, page, step, part=None, full_page=True):
        """The whole page (or what the window shows), or only `part` (a locator) of it."""
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        if part is None:
            page.screenshot(path=path, full_page=full_page)
        else:
            part.screenshot(path=path)
        return path


class NetworkChanged(Exception):
    """Chromium abandoned a navigation: it shows its own error page."""


class RateLimited(Exception):
    """nginx answered 429: the login pages allow a few requests a minute per address."""


# Seconds until nginx's login limit (nginx_login_rate, 10r/m) lets a login (two requests) through again.
RATE_LIMIT_PAUSE = 13


def arrived(page):
    """Wait for a navigation a click started; raise NetworkChanged if it failed."""
    page.wait_for_load_state()
    if page.url.startswith("chrome-error://"):
        raise NetworkChanged(page.url)


def navigate(page, step, attempts=4):
    """Run a step that ends in a navigation, again if Chromium abandoned it
    or nginx's rate limit turned it away.

    Chromium drops connections when the machine's network changes
    (net::ERR_NETWORK_CHANGED), and test hosts of other scenarios come and
    go on this machine. Each step checks the state it starts from, so a
    repeated step never does a thing twice."""
    for _attempt in range(attempts):
        try:
            result = step()
            arrived(page)
        except NetworkChanged:
            continue
        except RateLimited:
            time.sleep(RATE_LIMIT_PAUSE)
            continue
        except PlaywrightError as error:
            if "ERR_NETWORK_CHANGED" not in str(error):
                raise
        else:
            return result
    raise AssertionError(f"{attempts} attempts at one step failed: network changes or nginx's rate limit")


@contextmanager
def logged_in(browser, site, user, shots, label):
    """A browser of its own for the user, logged in through the login form."""
    page = browser.open()

    def log_in():
        response = page.goto(f"{site.base_url}/login/")
        if response is not None and response.status == 429:
            raise RateLimited
        form = page.locator("form:has(input[name=password])")
        if form.count() == 0:
            return  # logged in by an earlier attempt: /login/ went on to the dashboard
        form.locator("input[name=username]").fill(user.username)
        form.locator("input[name=password]").fill(user.password)
        shots.take(page, f"{label}-login")
        form.locator("button[type=submit]").click()
        arrived(page)
        if page.title().startswith("429"):  # nginx's own page for its rate limit
            raise RateLimited

    navigate(page, log_in)
    assert page.locator("form[action='/logout/']").count() == 1, f"{user.username} could not log in: {page.url}"
    yield page
