"""The site in a real browser (Debian's Chromium, driven by Playwright) over
HTTPS through nginx: an adviser logs in, opens a case, completes its first
step, reads the deadline timeline and downloads the case's GDPR export; a
second adviser cannot open the case; a manager finds it on the reporting
page. Screenshots of every step land in artifacts/e2e/<test>/.

Runs in the default scenario's verify, and against the sandbox (`make up`)
with `pytest molecule/default/tests/test_browser.py` (see e2e.py)."""

import json
import re
import secrets
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from e2e import Browser, Screenshots, arrived, create_users, logged_in, navigate, retire_users, target
from playwright.sync_api import expect, sync_playwright

# The deadline of step n is the opening date plus these days (the domain's table).
STEP_DAYS = [7 * n for n in range(1, 16)]
# Opened a year ago: every deadline has passed, and the case's current deadline
# is older than any demo case's, so it heads the report's overdue list.
OPENED_DAYS_AGO = 365
DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})")


def birth_number(born, serial):
    """A valid ten-digit Czech birth number of a man born on `born`."""
    first_nine = f"{born:%y%m%d}{serial:03d}"
    return f"{first_nine[:6]}/{first_nine[6:]}{int(first_nine) % 11 % 10}"


@pytest.fixture(scope="module")
def site():
    return target()


@pytest.fixture(scope="module")
def users(site):
    run_id = secrets.token_hex(3)
    made = create_users(site.host, run_id, {"adviser": "poradce", "other-adviser": "poradce", "manager": "manager"})
    created_cases = []
    yield made, created_cases
    retire_users(site.host, made, created_cases)


@pytest.fixture
def browser(site):
    with sync_playwright() as playwright:
        browser = Browser(playwright, site)
        yield browser
        browser.close()


def displayed_date(text):
    day, month, year = (int(part) for part in DATE.search(text).groups())
    return date(year, month, day)


def test_adviser_case_journey_is_private_to_the_adviser_and_reported_to_the_manager(site, users, browser, tmp_path):
    made, created_cases = users
    adviser, other, manager = made["adviser"], made["other-adviser"], made["manager"]
    shots = Screenshots("adviser_case_journey")
    today = datetime.now(ZoneInfo("Europe/Prague")).date()
    opened = today - timedelta(days=OPENED_DAYS_AGO)
    born = date(1985, 4, 12)
    client_name = f"Jan Zkušební {secrets.token_hex(2).upper()}"

    # An adviser logs in through the form and lands on the dashboard.
    with logged_in(browser, site, adviser, shots, "adviser") as page:
        expect(page.locator("form[action='/logout/']")).to_be_visible()
        assert "/login/" not in page.url
        shots.take(page, "adviser-dashboard")

        # ... opens a new case through the menu and the case form.
        fields = {
            "opened_on": opened.isoformat(),
            "full_name": client_name,
            "birth_number": birth_number(born, 123),
            "date_of_birth": born.isoformat(),
            "email": "jan.zkusebni@example.cz",
            "phone": "+420 601 123 456",
            "street": "Husova 12",
            "city": "Brno",
            "postal_code": "602 00",
            "id_card_number": "123456789",
            "employer": "Město Brno",
            "monthly_income": "58000",
            "bank_account": "19-2000145399/0800",
            "financing_purpose": "Koupě bytu 2+kk",
            "property_price": "6500000",
            "loan_amount": "5200000",
            "own_resources": "1300000",
        }

        def create_case():
            # The adviser is new: a case in the list can only be this step's, from an earlier attempt.
            navigate(page, lambda: page.goto(f"{site.base_url}/klienti/"))
            made = page.locator("main a[href]").filter(has_text="HYP-")
            if made.count():
                made.first.click()
                return
            page.locator("nav a[href='/klienti/novy/']").click()
            arrived(page)
            form = page.locator("form.case-form")
            for name, value in fields.items():
                form.locator(f"[name={name}]").fill(value)
            form.locator("select[name=bank]").select_option(index=1)
            shots.take(page, "case-form")
            form.locator("button[type=submit]").click()

        navigate(page, create_case)
        page.wait_for_url(re.compile(r"/klienti/\d+/$"))
        case_id = int(re.search(r"/klienti/(\d+)/$", page.url).group(1))
        created_cases.append(case_id)
        case_url = f"{site.base_url}/klienti/{case_id}/"
        reference = f"HYP-{case_id:06d}"
        expect(page.locator("h1")).to_contain_text(reference)
        expect(page.locator("h1")).to_contain_text(client_name)
        shots.take(page, "case-created")

        # ... completes the first step with a note.
        steps = page.locator("ol.timeline > li.step")
        expect(steps).to_have_count(15)
        expect(steps.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))

        def complete_first_step():
            if page.url != case_url:
                page.goto(case_url)
            complete = steps.nth(0).locator("form.complete")
            if complete.count() == 0:
                return  # completed by an earlier attempt
            complete.locator("textarea[name=note]").fill("Klient chce byt 2+kk v Brně.")
            complete.locator("button[type=submit]").click()

        navigate(page, complete_first_step)
        expect(steps.nth(0)).to_have_class(re.compile(r"\bdone\b"))
        expect(steps.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
        expect(steps.nth(0).locator(".note")).to_contain_text("Klient chce byt 2+kk v Brně.")
        shots.take(page, "step-1-completed")

        # ... reads the timeline: fifteen deadlines counted from the opening
        # date, the undone ones all past and marked overdue.
        deadlines = [displayed_date(text) for text in steps.locator(".deadline").all_inner_texts()]
        assert deadlines == [opened + timedelta(days=days) for days in STEP_DAYS]
        expect(page.locator("ol.timeline > li.step.overdue")).to_have_count(14)
        expect(steps.nth(0)).not_to_have_class(re.compile(r"\boverdue\b"))
        shots.take(page, "deadline-timeline", part=page.locator("ol.timeline"))

        # ... and downloads the case's GDPR export: a ZIP with the case's data.
        def download_export():
            with page.expect_download() as download_info:
                page.locator(f"a[href='/klienti/{case_id}/gdpr/export/']").click()
            return download_info.value

        download = navigate(page, download_export)
        assert download.suggested_filename == f"{reference}-gdpr-export.zip"
        archive_path = tmp_path / download.suggested_filename
        download.save_as(archive_path)
        shots.take(page, "gdpr-export-downloaded", part=page.locator("p.actions"))
    with zipfile.ZipFile(archive_path) as archive:
        assert archive.testzip() is None
        assert {"case.json", "steps.json", "audit.json", "README.txt"} <= set(archive.namelist())
        case = json.loads(archive.read("case.json"))
        exported_steps = json.loads(archive.read("steps.json"))
    assert case["reference"] == reference
    assert case["full_name"] == client_name
    assert case["birth_number"].replace("/", "") == fields["birth_number"].replace("/", "")
    assert case["adviser"] == adviser.username
    assert case["current_step"] == 2
    assert [s["number"] for s in exported_steps] == list(range(1, 16))
    assert exported_steps[0]["completed_by"] == adviser.username
    assert exported_steps[0]["note"] == "Klient chce byt 2+kk v Brně."

    # A second adviser cannot open the case, nor export it: 404, as if it did not exist.
    with logged_in(browser, site, other, shots, "other-adviser") as page:
        expect(page.locator("form[action='/logout/']")).to_be_visible()
        for path in (f"/klienti/{case_id}/", f"/klienti/{case_id}/gdpr/export/"):
            response = navigate(page, lambda path=path: page.goto(f"{site.base_url}{path}"))
            assert response.status == 404, f"{path} answered {response.status} to another adviser"
        expect(page.locator("body")).not_to_contain_text(client_name)
        shots.take(page, "other-adviser-404")
        navigate(page, lambda: page.goto(f"{site.base_url}/klienti/"))
        expect(page.locator(f"a[href='/klienti/{case_id}/']")).to_have_count(0)
        shots.take(page, "other-adviser-case-list")

    # A manager sees the case on the reporting page, among the overdue cases.
    with logged_in(browser, site, manager, shots, "manager") as page:
        navigate(page, lambda: page.locator("nav a[href='/reporty/']").click())
        assert page.url.endswith("/reporty/")
        row = page.locator("tr", has=page.locator(f"a[href='/klienti/{case_id}/']"))
        expect(row).to_have_count(1)
        expect(row).to_contain_text(reference)
        expect(row).to_contain_text(adviser.username)
        page.locator("h1").scroll_into_view_if_needed()
        shots.take(page, "manager-report", full_page=False)
        row.scroll_into_view_if_needed()
        shots.take(page, "manager-report-case-row", full_page=False)
        navigate(page, lambda: row.locator("a").click())
        expect(page.locator("h1")).to_contain_text(reference)
        shots.take(page, "manager-opens-case")
    assert len(list(shots.directory.glob("*.png"))) == shots.count
