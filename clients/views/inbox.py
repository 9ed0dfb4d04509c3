"""The feedback inbox: filtered list, one item with its status history, and the CSV export."""

import csv

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from agency.spreadsheet import csv_cell
from agency.team.access import member_required
from clients.filters import FeedbackFilterForm
from clients.models import Feedback, Location, Sentiment, Status
from clients.selectors import clients_visible_to, feedback_filtered, feedback_visible

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


def _filtered(request):
    form = FeedbackFilterForm(request.GET)
    try:
        return form, feedback_filtered(user=request.user, params=request.GET)
    except ValidationError:
        form.is_valid()  # the errors are shown with the form
        return form, Feedback.objects.none()


@member_required
def inbox(request):
    form, feedback = _filtered(request)
    page = Paginator(feedback.select_related("client", "location").defer("raw"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    clients = clients_visible_to(user=request.user).order_by("name")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "clients": clients,
        "locations": Location.objects.filter(client__in=clients).select_related("client"),
        "statuses": Status.choices,
        "sentiments": Sentiment.choices,
        "query": query.urlencode(),
    }
    return render(request, "portal/inbox.html", context)


@member_required
def feedback_detail(request, pk):
    try:
        item = feedback_visible(user=request.user, pk=pk)
    except Feedback.DoesNotExist:
        raise Http404("No such feedback.") from None
    return render(
        request, "portal/feedback_detail.html", {"item": item, "changes": item.status_changes.all()}
    )


class _Echo:
    def write(self, value):
        return value


def _csv_rows(feedback):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte order mark, so that spreadsheets read the file as UTF-8
    yield writer.writerow([label for _, label in CSV_COLUMNS])
    fields = [name for name, _ in CSV_COLUMNS]
    for row in feedback.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow([csv_cell(value) for value in row])


@member_required
def feedback_export(request):
    """The filtered feedback as CSV, streamed from a server-side cursor (any size, little memory)."""
    form, feedback = _filtered(request)
    if not form.is_valid():
        raise Http404("Invalid filters.")
    name = f"feedback-{timezone.now():%Y%m%d-%H%M}.csv"
    response = StreamingHttpResponse(_csv_rows(feedback), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
