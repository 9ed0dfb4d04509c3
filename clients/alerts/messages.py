"""What an alert says wherever it goes (email, Slack, Teams, Google Chat): its title and text, the
client, the location, an excerpt of the feedback it is about, and a link into the portal."""

from django.db import connection
from django.utils.http import urlencode

from agency.urlbuilders import agency_url
from clients.alerts.channels import Message
from clients.alerts.models import AlertKind
from clients.models import Status

EXCERPT_LENGTH = 280


def excerpt(item):
    """The feedback's comment on one line, shortened, with its rating and customer."""
    if item is None:
        return ""
    comment = " ".join((item.comment or "").split()) or "(no comment)"
    if len(comment) > EXCERPT_LENGTH:
        comment = comment[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return f"{item.rating}★ {item.customer_name or 'A customer'}: {comment}"


def link(alert):
    """Where to act on the alert: the feedback, the login to replace, the backlog, or the dashboard."""
    agency = connection.tenant
    if alert.feedback_id:
        return agency_url(agency, "feedback_detail", alert.feedback_id)
    if alert.kind == AlertKind.LOGIN_BROKEN and alert.location_id:
        return agency_url(agency, "location_login", alert.client_id, alert.location_id)
    if alert.kind == AlertKind.UNRESOLVED:
        return (
            agency_url(agency, "inbox") + "?" + urlencode({"client": alert.client_id, "status": Status.NEW})
        )
    if alert.location_id:
        return agency_url(agency, "location_dashboard", alert.client_id, alert.location_id)
    return agency_url(agency, "client_dashboard", alert.client_id)


def alert_message(alert):
    """The alert as a :class:`Message` (``alert`` with its client, location and feedback loaded)."""
    return Message(
        title=f"{alert.get_kind_display()} · {alert.client.name}",
        text=alert.message,
        client=alert.client.name,
        location=alert.location.name if alert.location_id else "",
        excerpt=excerpt(alert.feedback),
        link=link(alert),
    )


def sample_message(*, channel, kind):
    """A test message for ``channel``, shaped like an alert of ``kind``."""
    label = AlertKind(kind).label if kind else "Alert"
    agency = connection.tenant
    return Message(
        title=f"Test: {label} · Bistro Verde (example)",
        text=f"A test from {agency.name}: alerts sent to “{channel.name}” will look like this.",
        client="Bistro Verde (example)",
        location="Main Street (example)",
        excerpt="2★ Ana: The soup was cold and we waited forty minutes for the bill.",
        link=agency_url(agency, "alert_list"),
    )
