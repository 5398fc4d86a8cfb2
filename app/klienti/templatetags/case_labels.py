"""Display names of a case's status, step and bank for list rows.

Model.get_FOO_display() rebuilds a dict of every choice on each call and
hashes each lazy label, which translates it: 15 translations per row for the
step alone. These look the label up in a dict translated once per language."""

from functools import lru_cache

from django import template
from django.utils.translation import get_language

from ..models import Bank, Status
from ..steps import STEPS

register = template.Library()


@lru_cache(maxsize=8)
def _labels(language):
    """Plain strings in the active language (the argument is the cache key)."""
    return (
        {value: str(label) for value, label in Status.choices},
        {step.number: str(step.name) for step in STEPS},
        {value: str(label) for value, label in Bank.choices},
    )


@register.filter
def status_label(value, language=None):
    return _labels(language or get_language())[0].get(value, value)


@register.filter
def step_name(value, language=None):
    return _labels(language or get_language())[1].get(value, value)


@register.filter
def bank_label(value, language=None):
    return _labels(language or get_language())[2].get(value, value)
