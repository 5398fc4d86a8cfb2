"""Display names of a case's status, step and bank for list rows.

Model.get_FOO_display() rebuilds a dict of every choice on each call and
hashes each lazy label, which translates it: 15 translations per row for the
step alone. These look the one label up in a dict built once."""

from django import template

from ..models import Bank, Status
from ..steps import STEPS

register = template.Library()

_STATUS = dict(Status.choices)
_STEP = {step.number: step.name for step in STEPS}
_BANK = dict(Bank.choices)


@register.filter
def status_label(value):
    return _STATUS.get(value, value)


@register.filter
def step_name(value):
    return _STEP.get(value, value)


@register.filter
def bank_label(value):
    return _BANK.get(value, value)
