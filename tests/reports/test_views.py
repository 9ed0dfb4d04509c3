"""Report pages: each role gets what it should; strangers and other clients' viewers get nothing."""

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from PIL import Image

from agency.team.models import Role
from reports.models import Report, ReportSchedule, ReportState
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 10, 5, 9, tzinfo=UTC)


@pytest.fixture
def client_(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    FeedbackFactory(
        location=location, created_at=datetime(2026, 9, 12, tzinfo=UTC), comment="<i>Nice</i> place"
    )
    rollup(location.client)
    return location.client


@pytest.fixture
def report(client_):
    report = Report.objects.create(client=client_, start=date(2026, 9, 1), end=date(2026, 9, 30),
                                   state=ReportState.READY)  # fmt: skip
    report.pdf.save("bistro.pdf", ContentFile(b"%PDF-1.7 test"))
    return report


def test_staff_sees_the_reports_and_requests_one(
    agency, make_user, client_, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=make_user(Role.STAFF))
    assert web.get(f"/clients/{client_.pk}/reports/").status_code == 200

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks() as queued:
        form = {"start": "2026-09-01", "end": "2026-09-30", "sections": ["summary", "kpis"]}
        response = web.post(f"/clients/{client_.pk}/reports/", form)

    assert response.status_code == 302
    assert Report.objects.get(client=client_).sections == ["summary", "kpis"]
    assert len(queued) == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("2026-09-30", "2026-09-01", "after its end"), ("2026-10-01", "2026-10-31", "must have ended")],
)
def test_a_bad_period_is_refused_next_to_the_field(agency, owner, client_, start, end, message):
    with time_machine.travel(NOW, tick=False):
        response = host_client(agency, user=owner).post(f"/clients/{client_.pk}/reports/", {
            "start": start, "end": end, "sections": ["summary"]})  # fmt: skip

    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert not Report.objects.exists()


def test_the_preview_shows_the_real_pdf_s_pages_to_who_asked_for_it(agency, owner, make_user, client_):
    web = host_client(agency, user=owner)
    with time_machine.travel(NOW, tick=False):
        response = web.get(f"/clients/{client_.pk}/reports/preview/?start=2026-09-01&end=2026-09-30"
                           "&sections=comments&sections=kpis")  # fmt: skip
        images = re.findall(r'src="(/reports/preview/[^"]+\.png)"', response.content.decode())
        page = web.get(images[-1])

    assert response.status_code == 200
    assert len(images) == 2  # the cover, and the key figures with the comments
    assert page["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(page.content)) as image:
        assert image.width == 1000 and image.height > 1400  # an A4 page
    assert host_client(agency, user=make_user(Role.STAFF)).get(images[-1]).status_code == 404


def test_download_is_for_members_who_may_see_the_client(agency, make_user, report):
    response = host_client(agency, user=make_user(Role.STAFF)).get(f"/reports/{report.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="bistro')
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_client_viewer_downloads_their_own_reports_only(agency, report, viewer_of):
    own = host_client(agency, user=viewer_of(report.client))
    assert own.get(f"/reports/{report.pk}/pdf/").status_code == 200
    other = host_client(agency, user=viewer_of(ClientFactory()))

    assert other.get(f"/reports/{report.pk}/pdf/").status_code == 404
    assert other.get(f"/clients/{report.client_id}/reports/").status_code == 404


def test_a_client_viewer_cannot_request_reports(agency, report, viewer_of):
    response = host_client(agency, user=viewer_of(report.client)).post(
        f"/clients/{report.client_id}/reports/", {"start": "2026-09-01", "end": "2026-09-30"}
    )

    assert response.status_code == 403


def test_outsiders_and_strangers_get_nothing(agency, report, outsider):
    assert outsider.get(f"/reports/{report.pk}/pdf/").status_code in (302, 404)
    assert login_redirect(host_client(agency).get(f"/reports/{report.pk}/pdf/"))


def test_manager_sets_a_schedule_and_staff_may_not(agency, owner, make_user, client_):
    form = {"frequency": "monthly", "day": "3", "recipients": "a@bistro.example, b@bistro.example",
            "sections": ["summary", "kpis"], "approval_required": "on", "active": "on"}  # fmt: skip

    assert host_client(agency, user=make_user(Role.STAFF)).post(
        f"/clients/{client_.pk}/reports/schedule/", form).status_code == 403  # fmt: skip
    response = host_client(agency, user=owner).post(f"/clients/{client_.pk}/reports/schedule/", form)

    assert response.status_code == 302
    schedule = ReportSchedule.objects.get(client=client_)
    assert (schedule.recipients, schedule.approval_required) == (
        ["a@bistro.example", "b@bistro.example"],
        True,
    )


def test_a_schedule_day_out_of_range_is_refused(agency, owner, client_):
    response = host_client(agency, user=owner).post(f"/clients/{client_.pk}/reports/schedule/", {
        "frequency": "weekly", "day": "9", "sections": ["summary"], "active": "on"})  # fmt: skip

    assert response.status_code == 400
    assert "weekday from 1 (Monday) to 7" in str(response.context["schedule_form"].errors)


def test_approval_queue_releases_a_report(
    agency, owner, make_user, report, django_capture_on_commit_callbacks
):
    Report.objects.filter(pk=report.pk).update(state=ReportState.AWAITING_APPROVAL)
    assert host_client(agency, user=make_user(Role.STAFF)).get("/reports/queue/").status_code == 403
    web = host_client(agency, user=owner)
    assert b"Bistro Verde" in web.get("/reports/queue/").content

    with django_capture_on_commit_callbacks() as sends:
        web.post(f"/reports/{report.pk}/approve/")

    report.refresh_from_db()
    assert (report.state, len(sends)) == (ReportState.READY, 1)
