"""A real Celery worker runs what beat sends: each client gets its report once, even if beat fires twice.

The worker runs in a thread of this process with its own database connection,
so this test commits its data in a throwaway agency of its own.
"""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from agency.celery import app as celery_app
from agency.services import agency_create
from clients.selectors import client_local_today
from reports.models import Report, ReportDelivery, ReportSchedule, ReportState
from reports.tasks import reports_due
from tests.conftest import committed
from tests.factories import FeedbackFactory, LocationFactory, rollup


@pytest.fixture
def agency_with_schedules(db):
    def setup():
        agency = agency_create(slug="e2e-reports", name="Report Agency", owner_email="o@r.test",
                               owner_password="Report-agency-pw-1")  # fmt: skip
        with tenant_context(agency):
            for name in ("Bistro Verde", "Salon Lumière"):
                location = LocationFactory(client__name=name, client__timezone="UTC")
                today = client_local_today(client=location.client)
                FeedbackFactory(
                    location=location, created_at=timezone.now() - timedelta(days=today.isoweekday() + 2)
                )
                rollup(location.client)
                ReportSchedule.objects.create(
                    client=location.client, frequency="weekly", day=today.isoweekday(),
                    recipients=[f"owner@{name.split()[0].lower()}.example"],
                )  # fmt: skip
        return agency

    agency = committed(setup)
    yield agency
    committed(lambda: agency.delete(force_drop=True))


def test_beat_firing_twice_emails_each_client_once(agency_with_schedules):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        reports_due.delay()  # what beat sends, from the public schema
        reports_due.delay()  # beat fired twice

        def delivered():
            with tenant_context(agency_with_schedules):
                return ReportDelivery.objects.filter(state="sent").count()

        deadline = time.monotonic() + 60
        while committed(delivered) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # any duplicate would be sent by now

    assert sorted(m.to[0] for m in mail.outbox) == ["owner@bistro.example", "owner@salon.example"]

    def states():
        with tenant_context(agency_with_schedules):
            return list(Report.objects.values_list("state", flat=True))

    assert committed(states) == [ReportState.SENT, ReportState.SENT]
