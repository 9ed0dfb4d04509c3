"""A report's life: one per period (replacing asks first), commentary before sending, send now with
the approval rule, the delivery log; business owners see only the current version."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from agency.team.models import AuditEvent, Role
from reports.models import Report, ReportSchedule, ReportState, ReportTemplate
from reports.services import PeriodTaken, report_generate, report_request, report_send, schedules_run
from tests.conftest import host_client
from tests.factories import FeedbackFactory, LocationFactory, rollup
from tests.reports.pdfs import pdf_text

NOW = datetime(2026, 10, 5, 9, tzinfo=UTC)
FORM = {"start": "2026-09-01", "end": "2026-09-30", "sections": ["summary", "commentary", "kpis"]}


@pytest.fixture
def client_(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    for day in (3, 9, 12, 20):
        FeedbackFactory(location=location, created_at=datetime(2026, 9, day, tzinfo=UTC), rating=5)
    rollup(location.client)
    location.client.report_recipients = ["owner@bistro.example"]
    location.client.save()
    return location.client


def work():
    """What the worker does with what was queued: render each queued report, send each one due."""
    with time_machine.travel(NOW, tick=False):
        for report in Report.objects.filter(state=ReportState.QUEUED):
            report_generate(report_id=report.pk)
        for report in Report.objects.filter(state=ReportState.READY, send_when_ready=True):
            report_send(report_id=report.pk)


def test_a_period_that_has_a_report_asks_before_replacing_it(
    agency, owner, client_, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=owner)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        web.post(f"/clients/{client_.pk}/reports/", {**FORM, "commentary": "First words"})
        response = web.post(f"/clients/{client_.pk}/reports/", FORM)

    assert response.status_code == 200
    assert b"This period already has a report" in response.content
    assert b'name="replace" value="on"' in response.content
    assert Report.objects.count() == 1

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        response = web.post(f"/clients/{client_.pk}/reports/", {**FORM, "replace": "on"})

    old, new = Report.objects.order_by("pk")
    assert response.status_code == 302 and response["Location"] == f"/reports/{new.pk}/"
    assert (old.superseded_by_id, old.is_current, new.is_current) == (new.pk, False, True)
    assert new.commentary == "First words"  # the agency's words carry over
    assert AuditEvent.objects.filter(action="report.replaced").count() == 1


def test_business_owners_see_only_the_current_version_and_owners_keep_the_archive(
    agency, owner, client_, viewer_of, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        old = report_request(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))
        with pytest.raises(PeriodTaken):
            report_request(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))
        new = report_request(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30), replace=True)

    viewer = host_client(agency, user=viewer_of(client_))
    listing = viewer.get(f"/clients/{client_.pk}/reports/").content.decode()
    assert f"/reports/{new.pk}/" in listing and f"/reports/{old.pk}/" not in listing
    assert viewer.get(f"/reports/{old.pk}/").status_code == 404
    manager = host_client(agency, user=owner)
    assert f"/reports/{old.pk}/" in manager.get(f"/clients/{client_.pk}/reports/").content.decode()
    page = manager.get(f"/reports/{old.pk}/").content.decode()
    assert "Replaced: archive" in page and f"/reports/{new.pk}/" in page


def test_commentary_is_written_before_sending_and_printed_in_the_pdf(
    agency, make_user, client_, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=make_user(Role.STAFF))
    commentary = "This month we:\n\n- answered **every** review\n- <b>fixed</b> the menu"
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        web.post(f"/clients/{client_.pk}/reports/", FORM)
        work()
        report = Report.objects.get()
        response = web.post(f"/reports/{report.pk}/commentary/", {"commentary": commentary})
    work()

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.READY and report.page_count == 2
    text = pdf_text(report.pdf.open("rb").read())
    assert "Our commentary This month we: answered every review <b>fixed</b> the menu" in text
    assert AuditEvent.objects.filter(action="report.commentary_saved").count() == 1


def test_send_now_goes_to_typed_addresses_in_the_report_s_language(
    agency, make_user, client_, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=make_user(Role.STAFF))
    form = {**FORM, "recipients": "ana@bistro.example,  luis@bistro.example", "action": "send"}
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        web.post(f"/clients/{client_.pk}/reports/", form)
    work()
    report = Report.objects.get()
    report_send(report_id=report.pk)  # a retry sends nothing more

    (message,) = mail.outbox
    assert sorted(message.to) == ["ana@bistro.example", "luis@bistro.example"]
    assert message.subject == "Bistro Verde: your reputation report, September 1 – 30, 2026"
    assert message.attachments[0][1][:4] == b"%PDF"
    report.refresh_from_db()
    assert report.state == ReportState.SENT
    with time_machine.travel(NOW, tick=False):
        page = web.get(f"/reports/{report.pk}/").content.decode()
    assert "Email sent to ana@bistro.example, luis@bistro.example" in page  # the delivery log


def test_the_agency_s_approval_rule_holds_a_report_sent_now(
    agency, owner, make_user, client_, django_capture_on_commit_callbacks
):
    ReportTemplate.objects.create(sections=["summary", "kpis"], approval_required=True)
    staff = host_client(agency, user=make_user(Role.STAFF))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        staff.post(f"/clients/{client_.pk}/reports/", FORM)
        work()
        report = Report.objects.get()
        staff.post(f"/reports/{report.pk}/commentary/", {"commentary": "We called every unhappy guest back."})
        work()
        staff.post(f"/reports/{report.pk}/send/", {"recipients": ""})

    report.refresh_from_db()
    assert report.state == ReportState.AWAITING_APPROVAL and mail.outbox == []
    queue = host_client(agency, user=owner).get("/reports/queue/").content.decode()
    assert "Bistro Verde" in queue and "We called every unhappy guest back." in queue

    with django_capture_on_commit_callbacks():
        host_client(agency, user=owner).post(f"/reports/{report.pk}/approve/")
    work()

    (message,) = mail.outbox
    assert message.to == ["owner@bistro.example"]
    assert "We called every unhappy guest back." in pdf_text(message.attachments[0][1])


def test_the_api_asks_before_replacing(agency, api_for, client_, django_capture_on_commit_callbacks):
    api = api_for(Role.STAFF)
    body = {"client": client_.pk, "start": "2026-09-01", "end": "2026-09-30"}
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        first = api.post("/api/v1/reports", body)
        again = api.post("/api/v1/reports", body)
        replaced = api.post("/api/v1/reports", {**body, "replace": True})

    assert (first.status_code, again.status_code, replaced.status_code) == (202, 409, 202)
    assert "replace=true" in again.json()["message"]
    assert api.get(f"/api/v1/reports/{first.json()['id']}").json()["superseded_by"] == replaced.json()["id"]


def test_a_schedule_delivers_the_period_made_by_hand_instead_of_making_it_twice(
    agency, client_, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        draft = report_request(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30))
    work()
    ReportSchedule.objects.create(client=client_, frequency="monthly", day=3)

    with time_machine.travel(datetime(2026, 10, 3, 8, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks() as sends:
            assert schedules_run() == []
        assert schedules_run() == []  # beat firing twice
    assert len(sends) == 1  # the send task, queued once
    report_send(report_id=draft.pk)  # what it does

    assert Report.objects.count() == 1
    (message,) = mail.outbox
    assert message.to == ["owner@bistro.example"]
