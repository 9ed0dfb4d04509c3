"""A client's dashboard (the whole client or one location), its figures alone (swapped in live when a
sync finishes), and its sync status for the progress bar."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from agency.team.access import member_required
from agency.team.models import Role
from clients import charts, selectors, stats, sync_words
from clients.access import client_location_or_404, visible_client_or_404
from clients.periods import PERIOD_CHOICES, period_from_params
from clients.views.trends import phone_charts


def _change(current, previous, scale=1):
    if current is None or previous is None:
        return None
    return (current - previous) * scale


def _changes(current, previous):
    """Differences with the previous period; shares in percentage points."""
    return {
        "average_rating": _change(current["average_rating"], previous["average_rating"]),
        "count": _change(current["count"], previous["count"]),
        "backlog_new": _change(current["backlog_new"], previous["backlog_new"]),
        "negative_share": _change(current["negative_share"], previous["negative_share"], 100),
        "resolved_share": _change(current["resolved_share"], previous["resolved_share"], 100),
    }


def _dashboard(request, pk, location_pk):
    """What the dashboard (or its figures alone) shows for the request's period."""
    client = visible_client_or_404(user=request.user, pk=pk)
    location = client_location_or_404(client=client, pk=location_pk) if location_pk else None
    period = period_from_params(request.GET, today=selectors.client_local_today(client=client))
    data = selectors.client_dashboard(client=client, location=location, period=period)
    current, previous = data["current"], data["previous"]
    # A bar for every day (week, month) of the period, feedback or not: a regular time axis.
    series = stats.series_filled(data["series"], first_day=period.first_day, end_day=period.end_day,
                                 bucket=period.bucket)  # fmt: skip
    dashboard_charts = charts.dashboard_charts(
        series=series,
        bucket=period.bucket,
        current=current,
        themes=data["themes"],
        sources=data["sources"],
        locations=data["locations"],
    )
    return {
        "client": client,
        "location": location,
        "period": period,
        "current": current,
        "previous": previous,
        "changes": _changes(current, previous),
        "charts": {**dashboard_charts, **phone_charts(series=series, bucket=period.bucket)},
    }


@member_required
def client_dashboard(request, pk, location_pk=None):
    context = _dashboard(request, pk, location_pk)
    client = context["client"]
    context.update(
        locations=client.locations.order_by("name", "pk"),
        period_choices=PERIOD_CHOICES,
        sync=selectors.sync_status(client=client),
        # A business owner's first page: theirs alone, in the agency's name.
        welcome=request.user.role == Role.CLIENT_VIEWER,
    )
    return render(request, "portal/client_dashboard.html", context)


@never_cache
@member_required
def client_dashboard_figures(request, pk, location_pk=None):
    """The dashboard's figures and charts alone: the page swaps them in when a sync has finished."""
    return render(request, "portal/_dashboard_figures.html", _dashboard(request, pk, location_pk))


@never_cache
@member_required
def client_sync_status(request, pk):
    """JSON for the progress bars: each location's state, the outcome of its latest sync in plain
    words (``note``: "" when its data is current), and its running sync, if any. Managers also get
    the location's PulseBack sign-ins and refreshes today (its share of the sign-in budget)."""
    client = visible_client_or_404(user=request.user, pk=pk)
    locations = []
    for entry in selectors.sync_status(client=client):
        location, run = entry["location"], entry["run"]
        retry_at = location.sync_retry_at
        locations.append(
            {
                "id": location.pk,
                "state": location.state,
                "state_label": location.get_state_display(),
                "last_synced_at": location.last_synced_at.isoformat() if location.last_synced_at else None,
                "outcome": location.sync_outcome or None,
                "unseen": location.sync_unseen,
                "retry_at": retry_at.isoformat() if retry_at else None,
                "note": sync_words.sync_note(location),
                **({"auth": sync_words.auth_spend(location)} if request.user.is_manager else {}),
                "run": None
                if run is None
                else {
                    "kind": run.kind,
                    "state": run.state,
                    "fetched": run.fetched,
                    "expected": run.expected,
                    "progress": run.progress,
                },
            }
        )
    return JsonResponse({"locations": locations})
