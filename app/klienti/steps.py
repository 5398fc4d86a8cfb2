"""The 15 workflow steps of a mortgage case: the only place they are defined.

Everything else (models, views, notifications, reports, data checks) imports
STEPS from here, so the list cannot drift apart again.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    number: int
    name: str  # lazy translation; the Czech name is the default UI language
    default_days: int  # deadline = case opening date + default_days

    def default_deadline(self, opened_on: date) -> date:
        return opened_on + timedelta(days=self.default_days)


STEPS: tuple[Step, ...] = (
    Step(1, _("What the client wants to finance"), 7),
    Step(2, _("Financing proposal"), 14),
    Step(3, _("Bank selection"), 21),
    Step(4, _("Financing approved in principle"), 28),
    Step(5, _("Application preparation"), 35),
    Step(6, _("Document collection"), 42),
    Step(7, _("Application submitted"), 49),
    Step(8, _("Property valuation"), 56),
    Step(9, _("Underwriting"), 63),
    Step(10, _("Loan documentation prepared"), 70),
    Step(11, _("Loan documentation signed"), 77),
    Step(12, _("Drawdown preparation"), 84),
    Step(13, _("Drawdown"), 91),
    Step(14, _("Repayment started"), 98),
    Step(15, _("Conditions for repayment met"), 105),
)

FIRST_STEP = STEPS[0].number
LAST_STEP = STEPS[-1].number
STEP_NUMBERS = tuple(step.number for step in STEPS)
STEP_CHOICES = tuple((step.number, step.name) for step in STEPS)
_BY_NUMBER = {step.number: step for step in STEPS}


def get_step(number: int) -> Step:
    """Return the step with this number; KeyError for anything outside 1..15."""
    return _BY_NUMBER[number]


# Completing this step (the bank's underwriting) marks the case as approved.
APPROVAL_STEP = 9
