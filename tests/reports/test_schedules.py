"""Schedules queue each period once; sending happens at most once; approval holds reports back."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from reports.models import ReportDelivery, ReportSchedule, ReportState
from reports.services import report_approve, report_generate, report_send, schedule_period, schedules_run
from tests.factories import FeedbackFactory, LocationFactory, rollup


@pytest.mark.parametrize(
    ("frequency", "day", "today", "period"),
    [
        ("monthly", 3, date(2026, 10, 3), (date(2026, 9, 1), date(2026, 9, 30))),
        ("monthly", 3, date(2026, 10, 4), None),
        ("monthly", 1, date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        ("weekly", 1, date(2026, 10, 5), (date(2026, 9, 28), date(2026, 10, 4))),  # a Monday
        ("weekly", 1, date(2026, 10, 6), None),
        ("quarterly", 2, date(2026, 10, 2), (date(2026, 7, 1), date(2026, 9, 30))),
        ("quarterly", 2, date(2026, 1, 2), (date(2025, 10, 1), date(2025, 12, 31))),
        ("quarterly", 2, date(2026, 11, 2), None),
    ],
)
def test_schedule_periods(frequency, day, today, period):
    assert schedule_period(schedule=ReportSchedule(frequency=frequency, day=day), today=today) == period


@pytest.fixture
def schedule(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    FeedbackFactory(location=location, created_at=datetime(2026, 9, 12, tzinfo=UTC), rating=5)
    rollup(location.client)
    return ReportSchedule.objects.create(
        client=location.client, frequency="monthly", day=3, recipients=["owner@bistro.example"]
    )


DUE = datetime(2026, 10, 3, 8, tzinfo=UTC)


def test_a_due_schedule_is_queued_once_even_if_beat_fires_twice(schedule, django_capture_on_commit_callbacks):
    with time_machine.travel(DUE, tick=False), django_capture_on_commit_callbacks() as queued:
        first = schedules_run()
        second = schedules_run()

    assert [(r.start, r.end) for r in first] == [(date(2026, 9, 1), date(2026, 9, 30))]
    assert second == []
    assert len(queued) == 1


def test_generated_report_is_emailed_once_with_the_pdf(schedule, django_capture_on_commit_callbacks):
    with time_machine.travel(DUE, tick=False):
        (report,) = schedules_run()
        with django_capture_on_commit_callbacks() as sends:
            report_generate(report_id=report.pk)

    assert len(sends) == 1
    report_send(report_id=report.pk)
    report_send(report_id=report.pk)  # a retry, or a second worker

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@bistro.example"]
    assert message.from_email.startswith("Alpha Agency <")
    assert "Bistro Verde" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert (mimetype, content[:4]) == ("application/pdf", b"%PDF")
    report.refresh_from_db()
    assert report.state == ReportState.SENT
    assert list(ReportDelivery.objects.values_list("state", flat=True)) == ["sent"]


def test_approval_holds_the_report_until_released(schedule, django_capture_on_commit_callbacks):
    schedule.approval_required = True
    schedule.save()
    with time_machine.travel(DUE, tick=False):
        (report,) = schedules_run()
        with django_capture_on_commit_callbacks() as sends:
            report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert (report.state, len(sends)) == (ReportState.AWAITING_APPROVAL, 0)
    report_send(report_id=report.pk)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks() as sends:
        report_approve(report=report, actor=None)
    report_send(report_id=report.pk)  # what the queued task does

    assert len(sends) == 1
    assert len(mail.outbox) == 1


def test_a_failed_send_is_logged_and_can_be_retried(schedule, settings):
    with time_machine.travel(DUE, tick=False):
        (report,) = schedules_run()
        report_generate(report_id=report.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there

    with pytest.raises(OSError):
        report_send(report_id=report.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report_send(report_id=report.pk)

    states = list(ReportDelivery.objects.order_by("attempted_at").values_list("state", flat=True))
    assert states == ["failed", "sent"]
    assert len(mail.outbox) == 1
