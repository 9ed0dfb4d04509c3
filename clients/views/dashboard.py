"""A client's dashboard (the whole client or one location) and its sync status for the progress bar."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from agency.team.access import member_required
from clients import charts, selectors
from clients.access import client_location_or_404, visible_client_or_404
from clients.periods import PERIOD_CHOICES, period_from_params


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


@member_required
def client_dashboard(request, pk, location_pk=None):
    client = visible_client_or_404(user=request.user, pk=pk)
    location = client_location_or_404(client=client, pk=location_pk) if location_pk else None
    period = period_from_params(request.GET, today=selectors.client_local_today(client=client))
    data = selectors.client_dashboard(client=client, location=location, period=period)
    current, previous = data["current"], data["previous"]
    context = {
        "client": client,
        "location": location,
        "locations": client.locations.order_by("name", "pk"),
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "current": current,
        "previous": previous,
        "changes": _changes(current, previous),
        "charts": charts.dashboard_charts(
            series=data["series"],
            bucket=period.bucket,
            current=current,
            themes=data["themes"],
            sources=data["sources"],
            locations=data["locations"],
        ),
        "sync": selectors.sync_status(client=client),
    }
    return render(request, "portal/client_dashboard.html", context)


@never_cache
@member_required
def client_sync_status(request, pk):
    """JSON for the progress bars: each location's state and its running sync, if any."""
    client = visible_client_or_404(user=request.user, pk=pk)
    locations = []
    for entry in selectors.sync_status(client=client):
        location, run = entry["location"], entry["run"]
        locations.append(
            {
                "id": location.pk,
                "state": location.state,
                "state_label": location.get_state_display(),
                "last_synced_at": location.last_synced_at.isoformat() if location.last_synced_at else None,
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
