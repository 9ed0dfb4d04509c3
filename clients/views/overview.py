"""The agency overview: every client on one screen."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from agency.team.access import member_required
from agency.team.models import Role
from clients.models import ViewerAccess
from clients.selectors import overview_clients

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days"}
SORTS = {
    "name": "Client",
    "rating": "Average rating",
    "count": "Feedback",
    "negative": "Negative",
    "change": "Change",
    "open": "Open",
    "sync": "Last sync",
}
_SORT_KEYS = {
    "rating": "average_rating",
    "count": "count",
    "negative": "negative_share",
    "change": "change",
    "open": "open",
    "sync": "last_synced_at",
}
PER_PAGE = 50


def _sorted(rows, sort):
    descending = sort.startswith("-")
    key = _SORT_KEYS.get(sort.lstrip("-"))
    rows.sort(key=lambda row: row["name"].casefold())
    if key:
        present = [row for row in rows if row[key] is not None]
        missing = [row for row in rows if row[key] is None]
        present.sort(key=lambda row: row[key], reverse=descending)
        return present + missing  # clients without figures last, whatever the direction
    return rows[::-1] if descending else rows


@member_required
def overview(request):
    if request.user.role == Role.CLIENT_VIEWER:
        access = ViewerAccess.objects.filter(user=request.user).first()
        if access is not None:
            return redirect("client_dashboard", pk=access.client_id)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "30"
    sort = request.GET.get("sort", "name")
    sort = sort if sort.lstrip("-") in SORTS else "name"
    q = request.GET.get("q", "").strip()[:100]
    rows = _sorted(overview_clients(user=request.user, days=int(period), q=q), sort)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    columns = [
        (key, label, f"-{key}" if sort == key else key, sort.lstrip("-") == key)
        for key, label in SORTS.items()
    ]
    context = {
        "page": page,
        "period": period,
        "periods": PERIODS,
        "sort": sort,
        "columns": columns,
        "q": q,
        "period_label": PERIODS[period],
        "base_query": urlencode({"q": q, "period": period}),
        "page_query": urlencode({"q": q, "period": period, "sort": sort}),
        "any_clients": bool(rows) or bool(q),
    }
    return render(request, "portal/overview.html", context)
