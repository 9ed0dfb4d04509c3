"""The agency overview: what needs attention first, totals and trends of the whole portfolio (or one
client group), then every client on one screen."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from agency.team.access import member_required
from agency.team.models import Role
from clients.models import ViewerAccess
from clients.portfolio.models import ClientGroup
from clients.portfolio.selectors import client_group_names, groups_all, portfolio_overview
from clients.views.tables import PERIODS, period_param, rows_sorted, sort_headers, sort_param
from clients.views.trends import phone_charts, trend_charts

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
HALF_WIDTH = {"width": 540, "height": 250}  # the trend charts sit side by side on a desktop


def group_param(params):
    """The client group asked for (``group``: its id), or None for the whole portfolio."""
    pk = params.get("group", "")
    return ClientGroup.objects.filter(pk=pk).first() if pk.isdigit() else None


@member_required
def overview(request):
    if request.user.role == Role.CLIENT_VIEWER:
        access = ViewerAccess.objects.filter(user=request.user).first()
        if access is not None:
            return redirect("client_dashboard", pk=access.client_id)
    period = period_param(request.GET)
    sort = sort_param(request.GET, SORTS, "name")
    q = request.GET.get("q", "").strip()[:100]
    group = group_param(request.GET)
    data = portfolio_overview(user=request.user, days=int(period), group=group)
    rows = [row for row in data["rows"] if q.casefold() in row["name"].casefold()]
    rows = rows_sorted(rows, sort, _SORT_KEYS, name=lambda row: row["name"].casefold())
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    names = client_group_names(client_ids=[row["id"] for row in page])
    for row in page:
        row["groups"] = names.get(row["id"], [])
    scope = {"period": period, **({"group": group.pk} if group else {})}
    context = {
        "page": page,
        "period": period,
        "periods": PERIODS,
        "sort": sort,
        "columns": sort_headers(SORTS, sort),
        "q": q,
        "group": group,
        "groups": groups_all(),
        "period_label": PERIODS[period],
        "totals": data["totals"],
        "attention": data["attention"],
        "charts": {
            **trend_charts(series=data["series"], bucket=data["bucket"], **HALF_WIDTH),
            **phone_charts(series=data["series"], bucket=data["bucket"]),
        },
        "scope_query": urlencode(scope),
        "base_query": urlencode({"q": q, **scope}),
        "page_query": urlencode({"q": q, "sort": sort, **scope}),
        "any_clients": bool(data["rows"]) or group is not None,
    }
    return render(request, "portal/overview.html", context)
