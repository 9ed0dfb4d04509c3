"""Reads for client businesses and their feedback, scoped to what a user may see."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from agency.team.models import Role
from clients import stats
from clients.alerts.models import Alert, AlertKind
from clients.filters import FeedbackFilterForm
from clients.models import Client, Feedback, Location, SyncRun, SyncState, TagKind


def clients_visible_to(*, user):
    """All of the agency's clients, or, for a client viewer, only their own."""
    if user.role == Role.CLIENT_VIEWER:
        return Client.objects.filter(viewers__user=user)
    return Client.objects.all()


def feedback_stats(*, client_id=None, location_id=None, start, end):
    """Stats of live (not removed) feedback created in [start, end), aware datetimes.

    Keys: count, average_rating (None when count is 0), sentiment ({positive, neutral,
    negative: count}), negative_share (of the items that have a sentiment; None if none),
    resolved_share, backlog_new (items with status new), rating_distribution ({1..5: count}).
    Whole local days of the client come from the daily roll-ups, the rest from an index range.
    """
    return stats.period_stats(client_id=client_id, location_id=location_id, start=start, end=end)


def feedback_filters(*, user, params):
    """The filters of :func:`feedback_matching` that ``params`` (a mapping such as request.GET) asks
    for: client, location, status, sentiment, rating, source, theme, start, end (dates, inclusive,
    in the client's time zone when a client is given, else the site's), q, and the agency's
    handling: assignee (me, none or a user id), handled (yes or no), tag.

    Raises ValidationError (with the form's errors) on invalid parameters.
    """
    form = FeedbackFilterForm(params)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    data = form.cleaned_data
    tz = timezone.get_default_timezone()
    if data["client"]:
        tz_name = clients_visible_to(user=user).filter(pk=data["client"]).values_list("timezone", flat=True)
        tz = ZoneInfo(tz_name.first() or tz.key)
    return {
        **{name: data[name] for name in ("client", "location", "status", "sentiment", "rating", "source")},
        "theme": data["theme"],
        "q": data["q"],
        "assignee": {"": None, "me": user.pk}.get(data["assignee"], data["assignee"]),
        "handled": {"yes": True, "no": False}.get(data["handled"]),
        "tag": data["tag"],
        "created_from": datetime.combine(data["start"], time(), tz) if data["start"] else None,
        "created_before": (
            datetime.combine(data["end"] + timedelta(days=1), time(), tz) if data["end"] else None
        ),
    }


def _feedback_of_visible_clients(user):
    """Feedback of the clients the user may see. Members see every client: no subquery for them, so
    that the planner can walk an index in the lists' order."""
    if user.role == Role.CLIENT_VIEWER:
        return Feedback.objects.filter(client__in=clients_visible_to(user=user))
    return Feedback.objects.all()


def feedback_matching(
    *, user, client=None, location=None, status=None, sentiment=None, rating=None, source=None,
    theme=None, q=None, created_from=None, created_before=None, assignee=None, handled=None, tag=None,
):  # fmt: skip
    """Live feedback the user may see that matches every given filter, newest first.

    The inbox, its CSV export and the API all filter through here. The agency's handling
    (clients.workflow): ``assignee`` a user id or "none" (unassigned), ``handled`` True or False,
    ``tag``; client viewers never see the handling, so these filters are ignored for them.
    """
    feedback = _feedback_of_visible_clients(user).filter(removed_at__isnull=True)
    if any("\x00" in (text or "") for text in (source, theme, q, tag)):
        return feedback.none()  # stored text never holds NUL, and PostgreSQL refuses it in a query
    exact = {
        "client_id": client,
        "location_id": location,
        "status": status,
        "sentiment": sentiment,
        "rating": rating,
        "source": source,
        "created_at__gte": created_from,
        "created_at__lt": created_before,
    }
    feedback = feedback.filter(**{field: value for field, value in exact.items() if value not in (None, "")})
    if theme:
        feedback = feedback.filter(themes__contains=[theme])
    if q:
        feedback = feedback.filter(Q(comment__icontains=q) | Q(customer_name__icontains=q))
    feedback = feedback_handling_matching(feedback, user=user, assignee=assignee, handled=handled, tag=tag)
    return feedback.order_by("-created_at", "-id")


def feedback_total(
    *, user, client=None, location=None, status=None, sentiment=None, created_from=None, **others
):  # fmt: skip
    """How many items :func:`feedback_matching` gives for the same filters (``others``: the rest of
    them), exactly, without counting rows where it can.

    PulseBack's own filters (a status or a sentiment, a lower bound on creation such as ``days``),
    with client, location and the clients the user may see, are summed from the daily roll-ups,
    which the sync keeps equal to the rows (clients.stats.live_total). Anything else counts the
    matching rows: status and sentiment together, rating, source, theme, q, an upper bound on
    creation (until, the inbox's end date), or the agency's handling (assignee, handled, tag).
    """
    if (status and sentiment) or any(value not in (None, "") for value in others.values()):
        matching = feedback_matching(
            user=user, client=client, location=location, status=status, sentiment=sentiment,
            created_from=created_from, **others,
        )  # fmt: skip
        return matching.count()
    client_ids = [client] if client else None
    if user.role == Role.CLIENT_VIEWER:
        visible = clients_visible_to(user=user)
        client_ids = list((visible.filter(pk=client) if client else visible).values_list("pk", flat=True))
    return stats.live_total(
        client_ids=client_ids, location_id=location or None, status=status or None,
        sentiment=sentiment or None, start=created_from,
    )  # fmt: skip


def feedback_handling_matching(feedback, *, user, assignee=None, handled=None, tag=None):
    """``feedback`` narrowed by the agency's handling (see :func:`feedback_matching`). An item nobody
    touched has no handling row: it counts as unassigned, untagged and not handled."""
    if user.role == Role.CLIENT_VIEWER:
        return feedback
    if "\x00" in (tag or ""):
        return feedback.none()  # stored tags never hold NUL, and PostgreSQL refuses it in a query
    if assignee == "none":
        feedback = feedback.filter(handling__assignee__isnull=True)
    elif assignee not in (None, ""):
        feedback = feedback.filter(handling__assignee_id=assignee)
    if handled is not None:
        feedback = feedback.filter(handling__handled_at__isnull=not handled)
    if tag:
        feedback = feedback.filter(handling__tags__contains=[" ".join(tag.split()).lower()])
    return feedback


def feedback_visible(*, user, pk):
    """One feedback item the user may see (raises Feedback.DoesNotExist otherwise)."""
    return _feedback_of_visible_clients(user).select_related("client", "location").get(pk=pk)


def client_local_today(*, client, now=None):
    return (now or timezone.now()).astimezone(ZoneInfo(client.timezone)).date()


def _kpis(*, client, location, period):
    start, end = period.bounds(client.timezone)
    location_id = location.pk if location else None
    return stats.period_stats(client_id=client.pk, location_id=location_id, start=start, end=end)


def client_dashboard(*, client, location=None, period):
    """Everything the client dashboard shows for a period, from the roll-ups."""
    scope = {"client_id": client.pk, "location_id": location.pk if location else None}
    days = {"first_day": period.first_day, "end_day": period.end_day}
    return {
        "current": _kpis(client=client, location=location, period=period),
        "previous": _kpis(client=client, location=location, period=period.previous()),
        "series": stats.daily_series(**scope, **days, bucket=period.bucket),
        "themes": stats.tag_breakdown(**scope, **days, kind=TagKind.THEME),
        "sources": stats.tag_breakdown(**scope, **days, kind=TagKind.SOURCE),
        "locations": stats.location_breakdown(client_id=client.pk, **days) if location is None else [],
    }


def overview_clients(*, user, days, q="", now=None, group=None):
    """The agency overview: a row per visible client (of ``group``, a client group, when given) for
    the last ``days`` days, with the change against the ``days`` before, open items, last sync and
    alerts."""
    now = now or timezone.now()
    clients = clients_visible_to(user=user)
    if group is not None:
        clients = clients.filter(portfolio_groups=group)
    rows = stats.overview_rows(clients=clients, days=days, now=now, q=q)
    spiking = set(
        Alert.objects.filter(
            kind=AlertKind.SPIKE, read_at__isnull=True, created_at__gte=now - timedelta(days=7)
        ).values_list("client_id", flat=True)
    )
    for row in rows:
        row["average_rating"] = row["rating_sum"] / row["count"] if row["count"] else None
        previous = row["prev_rating_sum"] / row["prev_count"] if row["prev_count"] else None
        row["previous_average"] = previous
        row["change"] = (
            None if row["average_rating"] is None or previous is None else row["average_rating"] - previous
        )
        row["negative_share"] = row["negative"] / row["rated"] if row["rated"] else None
        row["negative_spike"] = row["id"] in spiking
    return rows


def sync_status(*, client):
    """Each location of the client with its state and the progress of a running sync."""
    locations = list(Location.objects.filter(client=client).order_by("name", "pk"))
    runs = {
        run.location_id: run
        for run in SyncRun.objects.filter(
            location__client=client, state__in=[SyncState.QUEUED, SyncState.RUNNING]
        ).order_by("location_id", "queued_at")
    }
    return [{"location": location, "run": runs.get(location.pk)} for location in locations]
