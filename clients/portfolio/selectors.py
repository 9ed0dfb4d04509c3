"""Reads across the agency's whole portfolio, or one client group: totals against the previous
period, the trend, what needs attention first, and the ranking of every location. Figures come from
the daily roll-ups (clients.stats); each client's period is made of its own local days."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from clients import stats
from clients.alerts.models import Alert, AlertKind
from clients.models import ConnectionState, Location
from clients.portfolio.models import ClientGroup
from clients.selectors import clients_visible_to, overview_clients

FAILING_STATES = (ConnectionState.UNREACHABLE, ConnectionState.RATE_LIMITED)
SPIKE_WINDOW = timedelta(days=7)
ATTENTION_SHOWN = 5  # entries shown per kind; the rest are counted


def groups_all():
    """Every client group, with its number of clients, by kind then name."""
    return ClientGroup.objects.annotate(client_count=Count("clients")).order_by("kind", "name")


def group_get(*, pk):
    """One group (raises ClientGroup.DoesNotExist)."""
    return ClientGroup.objects.get(pk=pk)


def client_group_names(*, client_ids):
    """{client id: [group names]} for these clients."""
    names = {}
    memberships = ClientGroup.clients.through.objects.filter(client_id__in=list(client_ids))
    for client_id, name in memberships.order_by("clientgroup__name").values_list(
        "client_id", "clientgroup__name"
    ):
        names.setdefault(client_id, []).append(name)
    return names


def _ratio(part, whole):
    return part / whole if whole else None


def _difference(current, previous, scale=1):
    return None if current is None or previous is None else (current - previous) * scale


def _totals(rows):
    sums = {
        key: sum(row[key] for row in rows)
        for key in ("count", "rating_sum", "negative", "rated", "open", "overdue")
        + ("prev_count", "prev_rating_sum", "prev_negative", "prev_rated")
    }
    average = _ratio(sums["rating_sum"], sums["count"])
    previous_average = _ratio(sums["prev_rating_sum"], sums["prev_count"])
    negative_share = _ratio(sums["negative"], sums["rated"])
    previous_negative_share = _ratio(sums["prev_negative"], sums["prev_rated"])
    return {
        **sums,
        "clients": len(rows),
        "locations": sum(row["locations"] for row in rows),
        "average_rating": average,
        "previous_average": previous_average,
        "negative_share": negative_share,
        "changes": {
            "average_rating": _difference(average, previous_average),
            "count": sums["count"] - sums["prev_count"] if sums["prev_count"] else None,
            "negative_share": _difference(negative_share, previous_negative_share, 100),
        },
    }


def _series(*, client_ids, days, now, bucket):
    """The trend, one entry per bucket of the period, empty buckets included."""
    rows = stats.portfolio_series(client_ids=client_ids, days=days, now=now, bucket=bucket)
    # Clients' local days run up to a day apart: the period ends on the latest of them.
    today = max([timezone.localdate(now), *(row["bucket"] for row in rows)])
    first_day, end_day = today - timedelta(days=days - 1), today + timedelta(days=1)
    return stats.series_filled(rows, first_day=first_day, end_day=end_day, bucket=bucket)


def _entry(*, client_id, client, detail, location_id=None, location="", when=None):
    return {"client_id": client_id, "client": client, "location_id": location_id, "location": location,
            "detail": detail, "when": when}  # fmt: skip


def _location_entry(location, detail, when):
    return _entry(client_id=location.client_id, client=location.client.name, location_id=location.pk,
                  location=location.name, detail=detail, when=when)  # fmt: skip


def _waiting(count):
    return f"{count} new item{'' if count == 1 else 's'} waiting over 2 days"


def _kind(key, title, entries):
    return {"key": key, "title": title, "entries": entries[:ATTENTION_SHOWN],
            "more": max(0, len(entries) - ATTENTION_SHOWN), "total": len(entries)}  # fmt: skip


def _attention(*, clients, rows, now):
    """What needs a look first, most urgent kind first; kinds with nothing to show are left out."""
    stale_before = now - timedelta(minutes=max(60, 3 * settings.SYNC_INTERVAL_MINUTES))
    stale = Q(state=ConnectionState.CONNECTED, last_synced_at__lt=stale_before) | Q(
        state=ConnectionState.PENDING, created_at__lt=stale_before
    )
    watched = Location.objects.filter(client__in=clients).filter(
        Q(state=ConnectionState.INVALID_CREDENTIALS) | Q(state__in=FAILING_STATES) | stale
    )
    broken, failing, late = [], [], []
    watched = watched.select_related("client").only(
        "client__name", "name", "state", "last_error", "last_error_at", "last_synced_at", "created_at"
    )
    for location in watched.order_by("client__name", "name", "pk"):
        if location.state == ConnectionState.INVALID_CREDENTIALS:
            broken.append(_location_entry(location, "PulseBack refused its login", location.last_error_at))
        elif location.state in FAILING_STATES:
            detail = location.last_error or location.get_state_display()
            failing.append(_location_entry(location, detail, location.last_error_at))
        elif location.last_synced_at is None:
            late.append(_location_entry(location, "Added, never synced", location.created_at))
        else:
            late.append(_location_entry(location, "Last synced", location.last_synced_at))
    spikes = Alert.objects.filter(
        client__in=clients, kind=AlertKind.SPIKE, read_at__isnull=True, created_at__gte=now - SPIKE_WINDOW
    ).select_related("client", "location")
    spiking = [
        _entry(
            client_id=alert.client_id,
            client=alert.client.name,
            location_id=alert.location_id,
            location=alert.location.name if alert.location else "",
            detail=alert.message,
            when=alert.created_at,
        )
        for alert in spikes.order_by("-created_at")
    ]
    backlog = [
        _entry(client_id=row["id"], client=row["name"], detail=_waiting(row["overdue"]))
        for row in sorted(rows, key=lambda row: (-row["overdue"], row["name"].casefold()))
        if row["overdue"]
    ]
    kinds = [
        _kind("broken_login", "Broken PulseBack logins", broken),
        _kind("sync_failing", "Syncs failing", failing),
        _kind("negative_spike", "Spikes of negative feedback", spiking),
        _kind("stale", "Stale data", late),
        _kind("backlog", "Backlog", backlog),
    ]
    return [kind for kind in kinds if kind["total"]]


def portfolio_overview(*, user, days, group=None, now=None):
    """The overview of the clients the user sees (of ``group`` when given) over the last ``days``
    local days: ``rows`` (a row per client, as selectors.overview_clients), ``totals`` (against the
    ``days`` before), ``series`` (the trend, by day, or by week beyond 31 days) and ``attention``."""
    now = now or timezone.now()
    clients = clients_visible_to(user=user)
    if group is not None:
        clients = clients.filter(portfolio_groups=group)
    rows = overview_clients(user=user, days=days, now=now, group=group)
    bucket = "week" if days > 31 else "day"
    return {
        "rows": rows,
        "totals": _totals(rows),
        "series": _series(client_ids=[row["id"] for row in rows], days=days, now=now, bucket=bucket),
        "bucket": bucket,
        "attention": _attention(clients=clients, rows=rows, now=now),
    }


def location_leaderboard(*, user, days, group=None, now=None):
    """Every location of the clients the user sees (of ``group`` when given), with its average
    rating, volume, negative share and rating change against the ``days`` before (each with its n)."""
    now = now or timezone.now()
    clients = clients_visible_to(user=user)
    if group is not None:
        clients = clients.filter(portfolio_groups=group)
    rows = stats.location_rows(client_ids=clients.values_list("pk", flat=True), days=days, now=now)
    for row in rows:
        row["average_rating"] = _ratio(row["rating_sum"], row["count"])
        row["previous_average"] = _ratio(row["prev_rating_sum"], row["prev_count"])
        row["change"] = _difference(row["average_rating"], row["previous_average"])
        row["negative_share"] = _ratio(row["negative"], row["rated"])
    return rows
