"""``/api/v1/reports``: queue a report, follow it, download its PDF; a report.ready event is sent."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile

from agency.team.models import Role
from agency.webhooks.models import WebhookDelivery
from agency.webhooks.services import endpoint_create
from reports.models import Report, ReportState
from reports.services import report_generate
from tests.factories import FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 10, 5, 9, tzinfo=UTC)
PERIOD = {"start": "2026-09-01", "end": "2026-09-30"}


@pytest.fixture
def client_(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    FeedbackFactory(location=location, created_at=datetime(2026, 9, 12, tzinfo=UTC))
    rollup(location.client)
    return location.client


def test_staff_queues_a_report(api_for, client_, django_capture_on_commit_callbacks):
    api = api_for(Role.STAFF)

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks() as queued:
        response = api.post(
            "/api/v1/reports", {"client": client_.pk, **PERIOD, "sections": ["summary", "kpis"]}
        )

    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["state"], body["sections"], body["pdf_ready"]) == ("queued", ["summary", "kpis"], False)
    assert len(queued) == 1
    assert api.get(f"/api/v1/reports/{body['id']}").json()["state"] == "queued"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2026-09-30", "end": "2026-09-01"}, "start"),
        ({"start": "2026-10-01", "end": "2026-10-31"}, "end"),
        ({"start": "not a date", "end": "2026-09-30"}, "start"),
        ({**PERIOD, "sections": ["everything"]}, "sections"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_for, client_, payload, field):
    with time_machine.travel(NOW, tick=False):
        response = api_for(Role.OWNER).post("/api/v1/reports", {"client": client_.pk, **payload})

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Report.objects.exists()


def test_read_tokens_and_client_viewers_cannot_queue(api_for, client_):
    assert (
        api_for(Role.OWNER, scope="read")
        .post("/api/v1/reports", {"client": client_.pk, **PERIOD})
        .status_code
        == 403
    )
    viewer = api_for(Role.CLIENT_VIEWER, scope="read", client=client_)
    assert viewer.post("/api/v1/reports", {"client": client_.pk, **PERIOD}).status_code == 403


def test_another_client_is_not_found(api_for, client_):
    other = LocationFactory().client
    viewer = api_for(Role.CLIENT_VIEWER, scope="read", client=other)
    report = Report.objects.create(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))

    assert viewer.get(f"/api/v1/reports/{report.pk}").status_code == 404
    assert viewer.get(f"/api/v1/reports/{report.pk}/pdf").status_code == 404


def test_the_pdf_once_generated(api_for, client_):
    report = Report.objects.create(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))
    api = api_for(Role.STAFF, scope="read")
    assert api.get(f"/api/v1/reports/{report.pk}/pdf").status_code == 404

    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7"), save=False)
    report.state = ReportState.READY
    report.save()
    response = api.get(f"/api/v1/reports/{report.pk}/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "X-RateLimit-Remaining" in response


def test_a_generated_report_sends_report_ready(client_, django_capture_on_commit_callbacks):
    endpoint, _secret = endpoint_create(actor=None, url="http://127.0.0.1:9/in", events=["report.ready"])
    report = Report.objects.create(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        report_generate(report_id=report.pk)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event == "report.ready"
    assert delivery.payload["data"]["id"] == report.pk
