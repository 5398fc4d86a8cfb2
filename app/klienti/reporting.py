"""The managers' pipeline report: one computation for the reporting page,
its CSV/XLSX export and the weekly e-mail. Cases are named by reference only.

Month and day grouping happens in Python in Europe/Prague time, so the
report does not depend on the database's time zone tables."""

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from .models import ACTIVE_STATUSES, Bank, CaseStep, Klient, Status
from .steps import APPROVAL_STEP, STEPS

OVERDUE_LIMIT = 500


@dataclass
class StepRow:
    number: int
    name: str
    open_cases: int = 0
    overdue: int = 0
    average_days: float | None = None


@dataclass
class BankMonthRow:
    bank: str
    month: str  # YYYY-MM
    approved: int = 0
    rejected: int = 0


@dataclass
class OverdueRow:
    reference: str
    klient_id: int
    adviser: str
    step: int
    deadline: date
    days_overdue: int


@dataclass
class PipelineReport:
    day: date
    totals: dict[str, int] = field(default_factory=dict)
    steps: list[StepRow] = field(default_factory=list)
    banks: list[BankMonthRow] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)
    overdue_total: int = 0

    def chart_data(self) -> dict:
        return {
            "pipeline": [{"label": str(s.number), "value": s.open_cases} for s in self.steps],
            "durations": [
                {"label": str(s.number), "value": s.average_days or 0} for s in self.steps
            ],
            "banks": [
                {"label": f"{r.bank} {r.month}", "value": r.approved, "second": r.rejected}
                for r in self.banks
            ],
        }


def _month(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def build_report(day: date | None = None) -> PipelineReport:
    day = day or timezone.localdate()
    report = PipelineReport(day=day)
    cases = Klient.objects.exclude(status=Status.ERASED)
    report.totals = {status: 0 for status in Status.values if status != Status.ERASED}
    report.totals.update(dict(cases.values_list("status").annotate(n=Count("id")).order_by()))

    steps = {s.number: StepRow(s.number, str(s.name)) for s in STEPS}
    active = cases.filter(status__in=ACTIVE_STATUSES)
    for number, count in active.values_list("current_step").annotate(n=Count("id")).order_by():
        if number in steps:
            steps[number].open_cases = count
    late = active.filter(current_deadline__lt=day)
    for number, count in late.values_list("current_step").annotate(n=Count("id")).order_by():
        if number in steps:
            steps[number].overdue = count

    # Days a step took: from the previous step's completion (or the opening date).
    opened = dict(cases.values_list("pk", "opened_on"))
    durations: dict[int, list[int]] = defaultdict(list)
    previous: dict[int, date] = {}
    completed = (
        CaseStep.objects.filter(completed_at__isnull=False, klient_id__in=cases.values("pk"))
        .order_by("klient_id", "number")
        .values_list("klient_id", "number", "completed_at")
    )
    for klient_id, number, completed_at in completed.iterator(chunk_size=5000):
        done_on = timezone.localtime(completed_at).date()
        start = previous.get(klient_id) or opened.get(klient_id)
        if start is not None and number in steps:
            durations[number].append(max((done_on - start).days, 0))
        previous[klient_id] = done_on
    for number, values in durations.items():
        steps[number].average_days = round(sum(values) / len(values), 1)
    report.steps = list(steps.values())

    bank_names = dict(Bank.choices)
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    approvals = CaseStep.objects.filter(
        number=APPROVAL_STEP, completed_at__isnull=False, klient_id__in=cases.values("pk")
    ).values_list("klient__bank", "completed_at")
    for bank, moment in approvals:
        counts[(bank_names.get(bank, "—"), _month(moment))]["approved"] += 1
    rejections = cases.filter(status=Status.REJECTED, closed_at__isnull=False)
    for bank, moment in rejections.values_list("bank", "closed_at"):
        counts[(bank_names.get(bank, "—"), _month(moment))]["rejected"] += 1
    report.banks = [
        BankMonthRow(bank, month, c["approved"], c["rejected"])
        for (bank, month), c in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0]))
    ]

    report.overdue_total = late.count()
    rows = late.order_by("current_deadline", "pk").values_list(
        "pk", "adviser__username", "current_step", "current_deadline"
    )[:OVERDUE_LIMIT]
    report.overdue = [
        OverdueRow(f"HYP-{pk:06d}", pk, username, step, deadline, (day - deadline).days)
        for pk, username, step, deadline in rows
    ]
    return report


STEP_HEADER = ["Krok", "Název", "Otevřené případy", "Po termínu", "Průměr dnů"]
BANK_HEADER = ["Banka", "Měsíc", "Schváleno", "Zamítnuto"]
OVERDUE_HEADER = ["Případ", "Poradce", "Krok", "Termín", "Dnů po termínu"]


def _step_rows(report):
    return [[s.number, s.name, s.open_cases, s.overdue, s.average_days] for s in report.steps]


def _bank_rows(report):
    return [[r.bank, r.month, r.approved, r.rejected] for r in report.banks]


def _overdue_rows(report):
    return [
        [r.reference, r.adviser, r.step, r.deadline.isoformat(), r.days_overdue]
        for r in report.overdue
    ]


def to_csv(report: PipelineReport) -> bytes:
    """Semicolon-separated with a BOM: what Czech Excel opens correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for header, rows in (
        (STEP_HEADER, _step_rows(report)),
        (BANK_HEADER, _bank_rows(report)),
        (OVERDUE_HEADER, _overdue_rows(report)),
    ):
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: PipelineReport) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheets = (
        ("Pipeline", STEP_HEADER, _step_rows(report)),
        ("Banky", BANK_HEADER, _bank_rows(report)),
        ("Po termínu", OVERDUE_HEADER, _overdue_rows(report)),
    )
    for index, (title, header, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


def managers():
    from . import roles

    return (
        get_user_model()
        .objects.filter(groups__name=roles.MANAGER, is_active=True)
        .order_by("username")
    )


@dataclass
class ReportRun:
    dry_run: bool
    recipients: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_reporting_email(day: date, file_format: str = "csv", dry_run: bool = False) -> ReportRun:
    """Mail the pipeline to every manager, once per manager and day."""
    from . import mail
    from .models import NotificationType
    from .notifications import claim, finish_claim

    run = ReportRun(dry_run=dry_run)
    recipients = list(managers())
    run.recipients = [m.get_username() for m in recipients]
    if dry_run or not recipients:
        return run
    report = build_report(day)
    content_type, render = EXPORTS[file_format]
    attachment = render(report)
    kind = NotificationType.REPORTING
    for manager in recipients:
        username = manager.get_username()
        if not claim(kind, manager, day):
            run.skipped.append(username)
            continue
        message = mail.build_message(
            "pipeline_report",
            {"report": report, "manager": manager},
            to=[manager.email] if manager.email else [],
        )
        message.attach(f"pipeline-{day.isoformat()}.{file_format}", attachment, content_type)
        error = mail.send(message)
        finish_claim(kind, manager, day, error)
        mail.log_attempt(manager, kind, error, sent_for=day)
        (run.failed if error else run.sent).append(username)
    return run
