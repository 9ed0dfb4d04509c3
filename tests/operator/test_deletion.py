"""Deleting an agency: the operator schedules it (the agency is suspended at once), and after the
grace period its schema, files and domains are dropped; only the record of the deletion stays."""

import os
from datetime import timedelta

import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_tenants.files.storage import TenantFileSystemStorage
from django_tenants.utils import schema_exists, tenant_context

from agency.models import (
    Agency,
    AgencyDeletion,
    AgencyExport,
    AgencyUsage,
    Domain,
    OperatorEvent,
    ParkedTask,
)
from agency.operator import services
from agency.services import agency_create
from agency.team.models import User
from clients.models import Client
from reports.models import Report
from tests.conftest import PASSWORD, host_client


def _leaving_agency():
    """An agency with data in its schema, files in its media folder, an export and a custom domain."""
    agency = agency_create(
        slug="leaving", name="Leaving Agency", owner_email="o@leaving.test", owner_password=PASSWORD
    )
    Domain.objects.create(tenant=agency, domain="reviews.leaving.example")
    with tenant_context(agency):
        client = Client.objects.create(name="Bistro Verde")
        report = Report.objects.create(client=client, start="2026-09-01", end="2026-09-30", state="ready")
        report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7"))
        agency.logo.save("logo.png", ContentFile(b"\x89PNG"))
        media = TenantFileSystemStorage().location
        owner = User.objects.get(email="o@leaving.test")
        export = services.export_request(agency=agency, actor=owner)
    services.export_build(export_id=export.pk)
    with tenant_context(agency):
        services.usage_measure(agency=agency)
    ParkedTask.objects.create(agency=agency, task="clients.tasks.sync_location", args=[1, "incremental"])
    return agency, media, AgencyExport.objects.get(pk=export.pk).file.path


def test_after_the_grace_period_nothing_of_the_agency_remains(db, operator, settings):
    user, console = operator
    agency, media, export_file = _leaving_agency()
    connection.set_schema_to_public()

    console.post(
        "/operator/agencies/leaving/delete/", {"confirm": "leaving", "reason": "asked to be forgotten"}
    )

    agency.refresh_from_db()
    deletion = AgencyDeletion.objects.get(slug="leaving")
    assert agency.suspended_at is not None
    assert deletion.scheduled_for - timezone.now() > timedelta(days=settings.AGENCY_DELETION_GRACE_DAYS - 1)
    assert services.agency_deletions_run() == []  # not yet
    assert schema_exists("agency_leaving")

    with connection.cursor() as cursor:  # this test's one transaction made the rows: check them now, as
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a commit would, so the schema can be dropped
    with time_machine.travel(deletion.scheduled_for + timedelta(minutes=1)):
        done = services.agency_deletions_run()

    assert [d.slug for d in done] == ["leaving"]
    assert not schema_exists("agency_leaving")
    assert not Agency.objects.filter(slug="leaving").exists()
    assert not Domain.objects.filter(domain__in=["leaving.localhost", "reviews.leaving.example"]).exists()
    assert not AgencyUsage.objects.filter(agency_id=agency.pk).exists()
    assert not AgencyExport.objects.filter(agency_id=agency.pk).exists()
    assert not ParkedTask.objects.filter(agency_id=agency.pk).exists()
    assert not os.path.exists(media) and not os.path.exists(export_file)
    deletion.refresh_from_db()
    assert deletion.deleted_at is not None and deletion.agency is None
    assert deletion.removed["domains"] == ["leaving.localhost", "reviews.leaving.example"]
    assert deletion.removed["files"] == 3  # the report, the logo and the export
    assert list(OperatorEvent.objects.order_by("at").values_list("actor_label", "action", "agency_slug")) == [
        (user.email, "agency.suspended", "leaving"),
        (user.email, "agency.deletion_scheduled", "leaving"),
        ("system", "agency.deleted", "leaving"),
    ]
    assert host_client("leaving.localhost").get("/").status_code == 404
    assert b"Leaving Agency" in console.get("/operator/deletions/").content


def test_a_cancelled_deletion_keeps_everything(db, console):
    agency, media, _export = _leaving_agency()
    connection.set_schema_to_public()
    console.post("/operator/agencies/leaving/delete/", {"confirm": "leaving"})
    console.post("/operator/agencies/leaving/cancel-deletion/")

    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert services.agency_deletions_run() == []

    assert schema_exists("agency_leaving")
    console.post("/operator/agencies/leaving/resume/")
    agency.refresh_from_db()
    assert agency.suspended_at is None


def test_the_slug_must_be_typed_to_confirm(db, console):
    _leaving_agency()
    connection.set_schema_to_public()

    page = console.post("/operator/agencies/leaving/delete/", {"confirm": "leavin"}, follow=True)

    assert "Type “leaving” to confirm." in page.content.decode()
    assert not AgencyDeletion.objects.exists()
