"""Template tags of the portal's pages: the navigation (links that exist, the current section
marked), the client a business owner's invitation is for, and what long lists need quickly."""

from datetime import timedelta
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from clients import sources
from clients.models import Client

register = template.Library()

# The navigation entry each page belongs to (page's URL name: the entry's URL name). An entry's own
# page belongs to it; pages named nowhere belong to none.
SECTION_OF = {
    "client_dashboard": "home",
    "location_dashboard": "home",
    "client_add": "home",
    "client_edit": "home",
    "client_remove": "home",
    "location_new": "home",
    "location_login": "home",
    "client_viewers": "home",
    "connect_request": "home",
    "client_reports": "home",
    "report_preview": "home",
    "pos_trigger_page": "home",
    "feedback_detail": "inbox",
    "group_edit": "group_list",
}


def _current(context):
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else None
    return SECTION_OF.get(name, name)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name, label, *args, **kwargs):
    """A navigation link to ``url_name`` (with its URL arguments), marked as the current section
    when the page belongs to it; nothing while no such page exists (another part may add it)."""
    try:
        url = reverse(url_name, args=args, kwargs=kwargs)
    except NoReverseMatch:
        return ""
    if _current(context) == url_name:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.simple_tag(takes_context=True)
def nav_in(context, *url_names):
    """Whether the page belongs to one of these entries (for a menu that holds them)."""
    return _current(context) in url_names


@register.filter
def source_name(code):
    """``qr_code`` → "QR code"."""
    return sources.source_name(code)


@register.filter
def ago(moment):
    """ "5 hours ago", or "just now" within the minute."""
    if not moment:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def invited_client(invitation):
    """The client a business owner's invitation is for, or None (emails are rendered in the schema of
    the agency that sends them)."""
    if not getattr(invitation, "client_id", None):
        return None
    return Client.objects.filter(pk=invitation.client_id).first()


COMMENT_SHOWN = 160  # characters of a comment in a list, the ellipsis included


def time_tag(value):
    """``<time datetime="...">Nov 3, 2026 14:05</time>``, in the current time zone: what ``|date:'c'``
    and ``|date:"M j, Y H:i"`` print, at a fraction of their cost (the dozen settings lookups of each
    call)."""
    value = timezone.localtime(value)
    shown = f"{MONTHS_3[value.month].title()} {value.day}, {value.year} {value:%H:%M}"
    return f'<time datetime="{value.isoformat()}">{escape(shown)}</time>'


def _handling_cell(handling):
    """What the agency did with an item: handled, its assignee and its tags (none: unassigned)."""
    if handling is None:
        return '<span class="help">Unassigned</span>'
    parts = ['<span class="badge positive">Handled</span>'] if handling.handled_at else []
    if handling.assignee:
        parts.append(f'<span class="assignee">{escape(str(handling.assignee))}</span>')
    elif not handling.handled_at:
        parts.append('<span class="help">Unassigned</span>')
    if handling.tags:
        tags = "".join(f'<span class="tag">{escape(tag)}</span>' for tag in handling.tags)
        parts.append(f'<span class="tag-list">{tags}</span>')
    return " ".join(parts)


@register.simple_tag
def inbox_row(item, team):
    """One row of the inbox (``team``: with the agency's handling), built at once: the same markup as
    a template loop took 9 ms of a fifty-row page, a third of it, in the template engine's own steps."""
    link = reverse("feedback_detail", args=[item.pk])
    sentiment = "—"
    if item.sentiment:
        label = escape(item.get_sentiment_display())
        sentiment = f'<span class="badge {escape(item.sentiment)}">{label}</span>'
    handling = (
        '<td class="handling-cell" data-label="Our handling"><span class="handling-state">'
        f"{_handling_cell(getattr(item, 'handling', None))}</span></td>"
        if team
        else ""
    )
    comment = item.comment or ""
    if len(comment) > COMMENT_SHOWN:  # Truncator's checks take longer than the rest of the row
        comment = Truncator(comment).chars(COMMENT_SHOWN)
    comment = escape(comment)
    if item.customer_name:
        comment += f'<br><span class="help">{escape(item.customer_name)}</span>'
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr><td class="lead-cell"><a href="{escape(link)}">{time_tag(item.created_at)}</a></td>'
        f'<td data-label="Client"><span>{escape(item.client.name)}<br>'
        f'<span class="help">{escape(item.location.name)}</span></span></td>'
        f'<td class="num" data-label="Rating">{item.rating}★</td>'
        f'<td data-label="Sentiment">{sentiment}</td>'
        f'<td data-label="Status in PulseBack">{escape(item.get_status_display())}</td>'
        f'{handling}<td class="comment" data-label="Comment">{comment}</td></tr>'
    )


@register.simple_tag
def change(value, digits, suffix="", inverse=False):
    """A figure's change against the previous period: ▲ or ▼ and its size (``digits`` decimals, then
    ``suffix``), marked bad or good when a rise is bad (``inverse``); ±0 when it rounds to nothing,
    — without a previous figure. A tag, not an included template: an overview or a leaderboard shows
    one in each of its rows."""
    if value is None:
        return mark_safe('<span class="change">—</span>')
    if not round(value, digits):
        return format_html('<span class="change">±0{}</span>', suffix)
    if value > 0:
        mark, title, direction, judged = "▲", "Up", "up", " bad" if inverse else ""
    else:
        mark, title, direction, judged = "▼", "Down", "down", " good" if inverse else ""
    return format_html(
        '<span class="change {}{}" title="{} against the previous period">{} {}{}</span>',
        direction, judged, title, mark, floatformat(abs(value), digits), suffix,
    )  # fmt: skip


@register.simple_tag
def options(choices, selected):
    """The <option>s of ``choices`` ((value, label) pairs), the one whose value is ``selected`` (a
    submitted value) marked. Built at once for a portfolio's thousand locations, where a loop in the
    template (or format_html for each) takes tens of milliseconds."""
    selected = "" if selected is None else str(selected)
    return mark_safe(  # noqa: S308 - every value and label is escaped
        "".join(
            f'<option value="{escape(str(value))}"{" selected" if str(value) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for value, label in choices
        )
    )
