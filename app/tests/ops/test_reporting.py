import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from klienti import reporting, services
from klienti.models import Klient, NotificationType, NotifikaceLog

from .fixtures import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(adviser, other_adviser):
    today = timezone.localdate()
    late = make_case(adviser, bank="kb", opened_on=today - timedelta(days=20))
    fresh = make_case(other_adviser, bank="csob")
    approved = make_case(adviser, bank="kb", opened_on=today - timedelta(days=40))
    for number in range(1, 10):
        services.complete_step(adviser, approved, number)
    rejected = make_case(adviser, bank="csob")
    services.reject_case(adviser, rejected, "Nízký příjem")
    return {"late": late, "fresh": fresh, "approved": approved, "rejected": rejected}


def test_report_counts_pipeline_banks_durations_and_overdue(pipeline):
    report = reporting.build_report()
    assert report.totals["open"] == 2 and report.totals["approved"] == 1
    assert report.totals["rejected"] == 1
    by_step = {row.number: row for row in report.steps}
    assert len(by_step) == 15
    assert by_step[1].open_cases == 2 and by_step[1].overdue == 1
    assert by_step[10].open_cases == 1
    assert by_step[1].average_days == 40.0  # opened 40 days ago, step 1 done today
    assert by_step[2].average_days == 0.0
    month = timezone.localdate().strftime("%Y-%m")
    banks = {(r.bank, r.month): (r.approved, r.rejected) for r in report.banks}
    assert banks[("Komerční banka", month)] == (1, 0)
    assert banks[("ČSOB Hypoteční banka", month)] == (0, 1)
    assert [row.reference for row in report.overdue] == [pipeline["late"].reference]
    assert report.overdue[0].days_overdue == 13


def test_reporting_page_for_managers_only_with_local_chart_assets(
    client, manager, adviser, pipeline
):
    client.force_login(adviser)
    assert client.get("/reporty/").status_code == 404
    client.force_login(manager)
    response = client.get("/reporty/")
    assert response.status_code == 200
    page = response.content.decode()
    assert pipeline["late"].reference in page
    assert "/static/klienti/js/reporting-charts.js" in page
    # Only the JSON data block and external scripts from our own static files.
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'type="application/json"' in tag or 'src="/static/' in tag, tag
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert pipeline["late"].full_name not in page


def test_csv_and_xlsx_exports(client, manager, pipeline):
    client.force_login(manager)
    response = client.get("/reporty/pipeline.csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == reporting.STEP_HEADER
    assert rows[1][:4] == ["1", rows[1][1], "2", "1"]
    assert pipeline["late"].reference in text

    response = client.get("/reporty/pipeline.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Pipeline", "Banky", "Po termínu"]
    assert workbook["Pipeline"]["C2"].value == 2
    assert workbook["Po termínu"]["A2"].value == pipeline["late"].reference
    assert client.get("/reporty/pipeline.pdf").status_code == 404


def test_report_of_an_empty_database(db):
    report = reporting.build_report()
    assert report.overdue_total == 0 and len(report.steps) == 15
    assert reporting.to_csv(report).startswith("\ufeff".encode())
    assert load_workbook(io.BytesIO(reporting.to_xlsx(report)))["Banky"].max_row == 1


def test_reporting_email_reaches_managers_with_attachment(smtp_server, manager, pipeline, capsys):
    second = make_user("martin", "manager")
    call_command("send_reporting_email", "--format", "xlsx")
    assert sorted(m.recipients[0] for m in smtp_server.messages) == sorted(
        [manager.email, second.email]
    )
    mail = smtp_server.to(manager.email)[0]
    assert mail.subject.startswith("Týdenní přehled pipeline")
    assert "PŘÍPADY PODLE KROKU" in mail.body("plain")
    [(name, content)] = mail.attachments().items()
    assert name.endswith(".xlsx")
    assert load_workbook(io.BytesIO(content))["Pipeline"]["C2"].value == 2
    logs = NotifikaceLog.objects.filter(notification_type=NotificationType.REPORTING)
    assert logs.count() == 2 and all(log.success for log in logs)
    # The same day again: nothing twice.
    call_command("send_reporting_email")
    assert len(smtp_server.messages) == 2


def test_reporting_email_csv_dry_run_and_failure(smtp_server, manager, pipeline, capsys):
    call_command("send_reporting_email", "--dry-run")
    assert f"[dry run] {manager.username}" in capsys.readouterr().out
    assert smtp_server.messages == []
    smtp_server.refuse.add(manager.email)
    with pytest.raises(CommandError):
        call_command("send_reporting_email", "--date", "2026-01-05")
    assert NotifikaceLog.objects.get().success is False
    smtp_server.refuse.clear()
    call_command("send_reporting_email", "--date", "2026-01-05", "--format", "csv")
    [(name, content)] = smtp_server.messages[0].attachments().items()
    assert name == "pipeline-2026-01-05.csv"
    assert content.decode("utf-8-sig").startswith("Krok;")


def test_event_loop_does_not_leak_personal_data_into_the_report(pipeline):
    text = reporting.to_csv(reporting.build_report()).decode("utf-8-sig")
    for klient in Klient.objects.all():
        assert klient.full_name not in text
