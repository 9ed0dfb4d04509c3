"""Filters for a location's sync state in plain words (see clients.sync_words)."""

from django import template

from clients import sync_words

register = template.Library()


@register.filter
def sync_note(location):
    """``{{ location|sync_note }}``: "12 recent items not yet synced, retrying", or "" when current."""
    return sync_words.sync_note(location)


@register.filter
def auth_spend(location):
    """``{{ location|auth_spend }}``: the location's PulseBack sign-ins and token refreshes today."""
    return sync_words.auth_spend(location)
