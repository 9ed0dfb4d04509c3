"""Formatting for reports: stars, percentages, signed changes with their significance."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def stars(value):
    return "—" if value is None else f"{value:.2f}★"


@register.filter
def percent(value):
    return "—" if value is None else f"{value:.0%}"


@register.filter
def signed(value, digits=2):
    return "—" if value is None else f"{value:+.{int(digits)}f}"


@register.simple_tag
def change(change, digits, unit):
    """A change against another period: its size, and whether it is statistically significant."""
    if change is None or change.delta is None:
        return ""
    delta = change.delta * (100 if unit == "pts" else 1)
    label = (
        "significant"
        if change.significant
        else "not significant"
        if change.p_value is not None
        else "too few"
    )
    css = "sig" if change.significant else "nosig"
    return format_html(' <span class="delta">{}{}</span> <span class="{}">{}</span>',
                       f"{delta:+.{int(digits)}f}", f" {unit}" if unit else "", css, label)  # fmt: skip
