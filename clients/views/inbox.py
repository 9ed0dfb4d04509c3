"""The feedback inbox: filtered list (and My queue), one item with its status history and the agency's
handling of it, and the CSV export."""

import csv

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from agency.spreadsheet import csv_cell
from agency.team.access import member_required
from clients.filters import FeedbackFilterForm
from clients.models import Feedback, Location, Sentiment, Status
from clients.selectors import (
    clients_visible_to,
    feedback_filters,
    feedback_matching,
    feedback_total,
    feedback_visible,
)
from clients.workflow import selectors as workflow
from clients.workflow.services import BulkAction

PER_PAGE = 50
EXPORT_CHUNK = 2000
CSV_COLUMNS = (
    ("created_at", "Created (UTC)"),
    ("client__name", "Client"),
    ("location__name", "Location"),
    ("rating", "Rating"),
    ("sentiment", "Sentiment"),
    ("status", "Status"),
    ("source", "Source"),
    ("themes", "Themes"),
    ("customer_name", "Customer"),
    ("customer_email", "Email"),
    ("comment", "Comment"),
    ("pulseback_id", "PulseBack id"),
)
# The agency's handling: for its members only (client viewers never see it).
CSV_HANDLING_COLUMNS = (
    ("handling__assignee__email", "Assigned to"),
    ("handling__tags", "Tags"),
    ("handling__handled_at", "Handled (UTC)"),
    ("handling__handled_by__email", "Handled by"),
)
# What a row of the inbox shows, and no more: every column of fifty items, their clients and their
# locations took 5 ms of the page, in dates parsed and objects filled.
ROW_FIELDS = (
    "created_at", "rating", "sentiment", "status", "comment", "customer_name", "client__name",
    "location__name",
)  # fmt: skip
HANDLING_FIELDS = (
    "handling__handled_at",
    "handling__tags",
    "handling__assignee__full_name",
    "handling__assignee__email",
)
FILTER_NAMES = tuple(FeedbackFilterForm.base_fields)
QUEUE_PRESETS = ("assignee", "handled")  # what My queue sets itself


class CountedPaginator(Paginator):
    """A Paginator told its count (feedback_total's), so that it never counts the rows itself.

    That count comes from the roll-ups, which lag behind a walk under way (a new location's first
    sync). A page still holds the rows at its place, and the count grows to what the page proves:
    one row more than a page is read, so that the next page is offered.
    """

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self.count = count  # in place of the cached property

    def get_page(self, number):
        """Paginator.get_page's fallbacks (the first page for a wrong number, the last for one past
        the end), with the end known only once the page's rows are read."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        try:
            number = self.validate_number(number)
        except EmptyPage:
            if int(number) < 1:
                raise
            number = int(number)  # past the told count: the rows decide
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        if bottom + len(rows) > self.count:
            self.count = bottom + len(rows)
            self.__dict__.pop("num_pages", None)  # cached from the old count
        return self._get_page(rows[: self.per_page], number, self)


def _filters(user, params):
    """The filter form bound to ``params``, and feedback_matching's filters (None when invalid)."""
    form = FeedbackFilterForm(params)
    try:
        return form, feedback_filters(user=user, params=params)
    except ValidationError:
        form.is_valid()  # the errors are shown with the form
        return form, None


def feedback_selection(user, params):
    """The filter form bound to ``params`` and the feedback it selects (none when invalid)."""
    form, filters = _filters(user, params)
    return form, Feedback.objects.none() if filters is None else feedback_matching(user=user, **filters)


def _filtered(request):
    return feedback_selection(request.user, request.GET)


def inbox_render(request, params, *, queue=False):
    """The inbox page for ``params`` (My queue when ``queue``: the user's own open items)."""
    form, filters = _filters(request.user, params)
    feedback, total = Feedback.objects.none(), 0
    if filters is not None:
        feedback = feedback_matching(user=request.user, **filters)
        total = feedback_total(user=request.user, **filters)
    team = workflow.may_handle(request.user)
    related = ("client", "location", "handling__assignee") if team else ("client", "location")
    shown = ROW_FIELDS + (HANDLING_FIELDS if team else ())
    items = feedback.select_related(*related).only(*shown)
    page = CountedPaginator(items, PER_PAGE, count=total).get_page(params.get("page"))
    clients = clients_visible_to(user=request.user)
    locations = Location.objects.filter(client__in=clients).order_by("client__name", "name")
    query = params.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "client_choices": clients.order_by("name").values_list("pk", "name"),
        "location_choices": [
            (pk, f"{client} · {name}")
            for pk, client, name in locations.values_list("pk", "client__name", "name")
        ],
        "statuses": Status.choices,
        "sentiments": Sentiment.choices,
        "query": query.urlencode(),
        "queue": queue,
        "team": team,
        "filters_active": any(
            params.get(name) for name in FILTER_NAMES if name not in QUEUE_PRESETS or not queue
        ),
    }
    if team:
        context |= {
            "members": workflow.team_members(),
            "tags": workflow.tags_in_use(),
            "handled_choices": form.fields["handled"].choices[1:],
            "selection": [(name, value) for name in FILTER_NAMES for value in query.getlist(name) if value],
            "bulk_actions": BulkAction.LABELS,
        }
    return render(request, "portal/inbox.html", context)


@member_required
def inbox(request):
    return inbox_render(request, request.GET)


@member_required
def feedback_detail(request, pk):
    try:
        item = feedback_visible(user=request.user, pk=pk)
    except Feedback.DoesNotExist:
        raise Http404("No such feedback.") from None
    context = {"item": item, "changes": item.status_changes.all()}
    if workflow.may_handle(request.user):
        members = list(workflow.team_members())
        handles = workflow.mention_handles(members)
        context |= {
            "handling": workflow.handling_of(feedback=item),
            "notes": workflow.notes_of(feedback=item),
            "members": members,
            "mention_handles": [
                (workflow.short_handle(user, handles), user) for user in members if user != request.user
            ],
            "tags": workflow.tags_in_use(),
        }
    return render(request, "portal/feedback_detail.html", context)


class _Echo:
    def write(self, value):
        return value


def _csv_rows(feedback, columns):
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff"  # a byte order mark, so that spreadsheets read the file as UTF-8
    yield writer.writerow([label for _, label in columns])
    fields = [name for name, _ in columns]
    for row in feedback.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow([csv_cell(value) for value in row])


@member_required
def feedback_export(request):
    """The filtered feedback as CSV, streamed from a server-side cursor (any size, little memory)."""
    form, feedback = _filtered(request)
    if not form.is_valid():
        raise Http404("Invalid filters.")
    name = f"feedback-{timezone.now():%Y%m%d-%H%M}.csv"
    columns = CSV_COLUMNS + (CSV_HANDLING_COLUMNS if workflow.may_handle(request.user) else ())
    response = StreamingHttpResponse(_csv_rows(feedback, columns), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
