"""The Jinja2 environment of the busiest pages (dashboard, case list, case
detail): Jinja2 compiles templates to Python and renders them several times
faster than the Django template language, which cost more than half of these
pages' CPU time. Filters here produce the same output as Django's: dates and
numbers localised in the active language, escaping on."""

import datetime
import decimal
import re
from functools import lru_cache

from django.template.backends.utils import csrf_input
from django.template.defaultfilters import linebreaksbr
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import formats, numberformat, translation
from django.utils.functional import SimpleLazyObject
from django.utils.timezone import template_localtime
from jinja2 import Environment, pass_context


def url(name, *args):
    """reverse(), but for whole-number arguments (case keys, step numbers) one
    reversal per URL name and process instead of one per link: a list has 25
    case links, a case's timeline 45 form actions."""
    if not args or not all(type(arg) is int and arg >= 0 for arg in args):
        return reverse(name, args=args)
    parts = _url_parts(name, len(args), get_script_prefix())
    return "".join(part + str(arg) for part, arg in zip(parts, args, strict=False)) + parts[-1]


_PLACEHOLDER = 987654300  # a number no fixed part of a URL contains


@lru_cache(maxsize=256)
def _url_parts(name, count, _script_prefix):
    """The fixed text around the arguments of a URL, found by reversing it once
    with placeholder numbers; the script prefix is part of the cache key."""
    placeholders = [str(_PLACEHOLDER + i) for i in range(count)]
    path = reverse(name, args=placeholders)
    parts = re.split("|".join(placeholders), path)
    if len(parts) != count + 1:  # pragma: no cover - a placeholder-like fixed part
        raise ValueError(f"cannot split the URL {name!r}")
    return parts


def date(value, format_name="SHORT_DATE_FORMAT", language=None):
    """Like Django's |date: aware datetimes shown in the current time zone."""
    if value in (None, ""):
        return ""
    if type(value) is datetime.date:
        return _formatted_date(value, format_name, language or translation.get_language())
    return formats.date_format(template_localtime(value), format_name)


@lru_cache(maxsize=4096)
def _formatted_date(value, format_name, _language):
    """Pages repeat the same deadlines, and formatting one takes some 50 calls.
    Days only: equal datetimes in different time zones would share an entry."""
    return formats.date_format(value, format_name)


def number(value, empty="–", language=None):
    """Like Django's output of a number: localised (a decimal comma in Czech).
    A list has 50 numbers; the separators are looked up once per language."""
    if value is None:
        return empty
    if type(value) not in (int, float, decimal.Decimal):
        return formats.localize(value)
    decimal_separator, grouping, thousands = _number_format(language or translation.get_language())
    return numberformat.format(value, decimal_separator, None, grouping, thousands, use_l10n=True)


@lru_cache(maxsize=16)
def _number_format(language):
    return tuple(
        formats.get_format(name, language)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )


def in_page_language(function):
    """A filter that takes the language from the page's context (LANGUAGE_CODE,
    which the i18n context processor sets once per page) instead of asking
    Django's per-thread translation state, a 2 µs lookup that a list page
    otherwise makes some 140 times."""

    @pass_context
    def filter_(context, value, *args):
        return function(value, *args, language=context.get("LANGUAGE_CODE"))

    return filter_


def csrf_input_once(request):
    """Context processor: Django's Jinja2 backend masks a new CSRF token for
    every {{ csrf_input }}, 35 times on a case's page; one per page, as the
    Django templates do, is enough."""
    return {"csrf_input": SimpleLazyObject(lambda: csrf_input(request))}


def environment(**options):
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    # Translations follow the language of the request, as in Django templates.
    env.install_gettext_callables(translation.gettext, translation.ngettext)
    env.globals.update(url=url, static=static)
    # Imported here: the engine is built after the apps are ready, this module before.
    from klienti.templatetags.case_labels import bank_label, status_label, step_name

    localised = {
        "date": date,
        "number": number,
        "status_label": status_label,
        "step_name": step_name,
        "bank_label": bank_label,
    }
    env.filters.update({name: in_page_language(f) for name, f in localised.items()})
    env.filters.update(linebreaksbr=linebreaksbr)
    return env
