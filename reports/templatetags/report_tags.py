"""Formatting for reports, in the active language: stars, numbers, percentages, dates, changes."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from clients import sources
from reports import i18n

register = template.Library()


@register.filter
def stars(value):
    return i18n.stars(value)


@register.filter
def percent(value):
    return i18n.percent(value)


@register.filter
def num(value, digits=0):
    return i18n.number(value, int(digits))


@register.filter
def signed(value, digits=2):
    return i18n.signed(value, int(digits))


@register.filter
def day(value, style="long"):
    return i18n.date_text(value, style) if value else ""


@register.filter
def source_name(value):
    return sources.source_name(value)


@register.filter
def theme_name(value):
    return i18n.theme_name(value)


@register.simple_tag
def period(first_day, last_day):
    return i18n.period_text(first_day, last_day)


def significance_label(change):
    if change.significant:
        return _("significant")
    if change.p_value is not None:
        return _("not significant")
    return _("too few reviews to test")


@register.simple_tag
def change(change, digits, unit):
    """A change against another period: its size, and whether it is statistically significant."""
    if change is None or change.delta is None:
        return ""
    text = i18n.points(change.delta, int(digits)) if unit == "pts" else i18n.signed(change.delta, int(digits))
    css = "sig" if change.significant else "nosig"
    return format_html(' <span class="delta">{}</span> <span class="{}">{}</span>', text, css,
                       significance_label(change))  # fmt: skip


@register.simple_tag
def headline_change(change, digits, unit):
    """The cover's line under a figure: its change against the previous period and its significance."""
    if change is None or change.delta is None:
        return _("no previous period to compare with")
    text = i18n.points(change.delta, int(digits)) if unit == "pts" else i18n.signed(change.delta, int(digits))
    return _("%(change)s vs. previous period · %(significance)s") % {
        "change": text, "significance": significance_label(change)}  # fmt: skip


@register.simple_tag
def count_change(diff, share):
    if share is None:
        return _("no reviews in the previous period") if diff else _("none in either period")
    percent = ("+" if share > 0 else "") + i18n.percent(share)
    return _("%(change)s (%(percent)s) vs. previous period") % {
        "change": i18n.signed(diff, 0),
        "percent": percent,
    }
