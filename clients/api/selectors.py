"""Reads for the clients API: feedback, sync runs and statistics, scoped to what a user may see."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from clients.models import Location, SyncRun
from clients.selectors import clients_visible_to, feedback_matching, feedback_stats, feedback_total


def locations_visible_to(*, user):
    return Location.objects.filter(client__in=clients_visible_to(user=user))


def _matching(filters):
    """feedback_matching's filters for the API's validated ``filters``: status, sentiment, days,
    client, location, rating, source, theme, q, since, until (each optional)."""
    since = filters.get("since")
    if filters.get("days"):
        recent = timezone.now() - timedelta(days=filters["days"])
        since = max(since, recent) if since else recent
    simple = ("client", "location", "status", "sentiment", "rating", "source", "theme", "q")
    return {
        "created_from": since,
        "created_before": filters.get("until"),
        **{name: filters.get(name) for name in simple},
    }


def feedback_list(*, user, filters):
    """Feedback the user may see (removed items left out), newest first, filtered (see _matching)."""
    return feedback_matching(user=user, **_matching(filters))


def feedback_page(*, user, filters):
    """The page of feedback_list that ``filters`` asks for (limit, offset), and the exact total of
    the list (feedback_total: from the roll-ups for PulseBack's own filters).

    The page's ids are found first: a deep offset then walks the index alone (often without
    reading a row), where the planner would otherwise read and sort every matching row.
    """
    matching = _matching(filters)  # one window of ``days`` for both
    items = feedback_matching(user=user, **matching)
    offset = filters["offset"]
    page = items.filter(pk__in=items.values("pk")[offset : offset + filters["limit"]])
    return list(page), feedback_total(user=user, **matching)


def sync_runs_visible_to(*, user):
    return SyncRun.objects.filter(location__in=locations_visible_to(user=user)).select_related("location")


def client_stats(*, client, start=None, end=None):
    """The dashboard KPIs of a client over local days [start, end] (end included; default: the
    last 30 days up to today in the client's time zone)."""
    tz = ZoneInfo(client.timezone)
    end = end or timezone.now().astimezone(tz).date()
    start = start or end - timedelta(days=29)
    stats = feedback_stats(
        client_id=client.pk,
        start=datetime.combine(start, time(), tz),
        end=datetime.combine(end + timedelta(days=1), time(), tz),
    )
    return {"start": start, "end": end, "timezone": client.timezone, **stats}
