"""The location ranking across every client (sortable, exportable) and the client-group pages."""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from agency.formerrors import form_errors_add
from agency.spreadsheet import csv_cell
from agency.team.access import manager_required, role_required
from agency.team.models import Role
from clients.portfolio import selectors, services
from clients.portfolio.forms import GroupEditForm, GroupForm
from clients.portfolio.models import ClientGroup
from clients.views.overview import group_param
from clients.views.tables import PERIODS, period_param, rows_sorted, sort_headers, sort_param

# The agency's own people: client viewers see their one client, never a ranking of all of them.
team_required = role_required(Role.OWNER, Role.ADMIN, Role.STAFF)

SORTS = {
    "location": "Location",
    "rating": "Rating",
    "count": "Feedback",
    "negative": "Negative",
    "change": "Change",
}
_SORT_KEYS = {"rating": "average_rating", "count": "count", "negative": "negative_share", "change": "change"}
MIN_COUNTS = (0, 1, 5, 10, 25, 50)
PER_PAGE = 50
CSV_COLUMNS = (
    ("rank", "Rank"),
    ("client_name", "Client"),
    ("name", "Location"),
    ("count", "Feedback"),
    ("average_rating", "Average rating"),
    ("negative_share", "Negative share"),
    ("rated", "With a sentiment"),
    ("prev_count", "Feedback, previous period"),
    ("previous_average", "Average rating, previous period"),
    ("change", "Rating change"),
)


def _leaderboard(request):
    """The ranked rows for the request's period, group, minimum count and sort, with those choices."""
    period = period_param(request.GET)
    sort = sort_param(request.GET, SORTS, "-rating")
    group = group_param(request.GET)
    min_count = request.GET.get("min", "5")
    min_count = int(min_count) if min_count.isdigit() and int(min_count) in MIN_COUNTS else 5
    rows = selectors.location_leaderboard(user=request.user, days=int(period), group=group)
    shown = [row for row in rows if row["count"] >= min_count]
    shown = rows_sorted(shown, sort, _SORT_KEYS, name=_by_name)
    for rank, row in enumerate(shown, start=1):
        row["rank"] = rank
    choices = {"period": period, "sort": sort, "group": group, "min_count": min_count}
    return shown, len(rows) - len(shown), choices


def _by_name(row):
    return row["client_name"].casefold(), row["name"].casefold(), row["id"]


@team_required
def location_leaderboard(request):
    rows, hidden, choices = _leaderboard(request)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    group = choices["group"]
    scope = {
        "period": choices["period"],
        "min": choices["min_count"],
        **({"group": group.pk} if group else {}),
    }
    context = {
        **choices,
        "page": page,
        "hidden": hidden,
        "periods": PERIODS,
        "min_counts": MIN_COUNTS,
        "groups": selectors.groups_all(),
        "columns": sort_headers(SORTS, choices["sort"]),
        "period_label": PERIODS[choices["period"]],
        "base_query": urlencode(scope),
        "page_query": urlencode({**scope, "sort": choices["sort"]}),
        "all_query": urlencode({**scope, "min": 0, "sort": choices["sort"]}),
    }
    return render(request, "portal/leaderboard.html", context)


@team_required
def location_leaderboard_export(request):
    """The whole ranking as shown (period, group, minimum, sort) as CSV, safe to open in a spreadsheet."""
    rows, _hidden, _choices = _leaderboard(request)
    out = io.StringIO()
    out.write("\ufeff")  # a byte order mark, so that spreadsheets read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(row[key]) for key, _ in CSV_COLUMNS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="locations-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


def _csv_value(value):
    """Text made safe for spreadsheets; numbers as numbers (a negative change is no formula)."""
    if isinstance(value, str):
        return csv_cell(value)
    return "" if value is None else round(value, 4)


@manager_required
def group_list(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"“{group.name}” was created: now choose its clients.")
            return redirect("group_edit", pk=group.pk)
    return render(request, "portal/groups.html", {"form": form, "groups": selectors.groups_all()})


def _group_or_404(pk):
    try:
        return selectors.group_get(pk=pk)
    except ClientGroup.DoesNotExist:
        raise Http404("No such group.") from None


@manager_required
def group_edit(request, pk):
    group = _group_or_404(pk)
    form = GroupEditForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.group_update(actor=request.user, group=group, name=data["name"], kind=data["kind"],
                                  client_ids=[client.pk for client in data["clients"]])  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"“{group.name}” was saved.")
            return redirect("group_list")
    return render(request, "portal/group_edit.html", {"form": form, "group": group})


@manager_required
@require_POST
def group_remove(request, pk):
    group = _group_or_404(pk)
    services.group_remove(actor=request.user, group=group)
    messages.success(request, f"“{group.name}” was removed; its clients are unchanged.")
    return redirect("group_list")
