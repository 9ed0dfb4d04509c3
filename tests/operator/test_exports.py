"""An agency's export: every row of its data in CSV files a spreadsheet opens (and JSON), no secret,
its reports as PDFs; prepared in the background, downloaded once, by its owner or the operator."""

import csv
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django_tenants.utils import tenant_context

from agency.models import Agency, AgencyExport, ExportState, OperatorEvent
from agency.operator import services
from agency.team.models import AuditEvent, Role, User
from clients.alerts.models import Alert
from clients.management.commands.demo import DEMO_EMAIL, Command
from clients.models import Client, Feedback, Location, SyncKind
from clients.sync import location_sync
from reports.models import Report, ReportState
from tests.conftest import host_client, login_redirect


@pytest.fixture
def demo_agency(db, sandbox_server):
    """The demo agency of `make demo`, its five locations synced from the sandbox, a report and an alert."""
    Command()._ensure_demo_agency(sandbox_server.port)
    connection.set_schema_to_public()
    agency = Agency.objects.get(slug="demo")
    with tenant_context(agency):
        for location in Location.objects.all():
            location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
        client = Client.objects.get(name="Bistro Verde")
        report = Report.objects.create(
            client=client, start=date(2026, 9, 1), end=date(2026, 9, 30), state=ReportState.READY
        )
        report.pdf.save("bistro-2026-09.pdf", ContentFile(b"%PDF-1.7 the report"))
        Alert.objects.create(kind="negative_feedback", client=client, key="k1", message="A 1-star review")
    return agency


def _built(agency):
    with tenant_context(agency):
        owner = User.objects.get(email=DEMO_EMAIL)
        export = services.export_request(agency=agency, actor=owner)
    return services.export_build(export_id=export.pk)


def _table(archive, name):
    with archive.open(f"{name}.csv") as raw:
        text = raw.read().decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so spreadsheets read UTF-8"
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    with archive.open(f"{name}.json") as raw:
        assert len(json.load(raw)) == len(rows)
    return rows


def test_the_export_holds_every_feedback_row_and_opens_in_a_spreadsheet(demo_agency):
    export = _built(demo_agency)

    with tenant_context(demo_agency):
        feedback_ids = set(Feedback.objects.values_list("pk", flat=True))
        counts = {
            "clients": Client.objects.count(),
            "locations": Location.objects.count(),
            "alerts": Alert.objects.count(),
            "audit_log": AuditEvent.objects.count(),
        }
    assert len(feedback_ids) == 360 + 220 + 180 + 260 + 300  # the demo accounts' items
    with zipfile.ZipFile(export.file.path) as archive:
        feedback = _table(archive, "feedback")
        assert {int(row["id"]) for row in feedback} == feedback_ids
        assert {name: len(_table(archive, name)) for name in counts} == counts
        assert export.contents["feedback.csv"] == len(feedback_ids)
        pdfs = [name for name in archive.namelist() if name.startswith("reports/") and name.endswith(".pdf")]
        assert [archive.read(name) for name in pdfs] == [b"%PDF-1.7 the report"]
        locations = _table(archive, "locations")
        assert "pulseback_password" not in locations[0] and "access_token" not in locations[0]
        members = _table(archive, "team_members")
        assert [row["email"] for row in members] == [DEMO_EMAIL] and "password" not in members[0]
    assert (export.state, export.size > 0) == (ExportState.READY, True)


def test_cells_that_could_run_as_formulas_are_quoted(agency, sandbox_server):
    Client.objects.create(name='=HYPERLINK("http://evil.example")')
    export = _built_for_alpha(agency)

    with zipfile.ZipFile(export.file.path) as archive:
        assert _table(archive, "clients")[0]["name"].startswith("'=")


def _built_for_alpha(agency):
    owner = User.objects.get(email="owner@alpha.test")
    export = services.export_request(agency=agency, actor=owner)
    return services.export_build(export_id=export.pk)


def test_the_owner_downloads_it_once(agency, owner, django_capture_on_commit_callbacks):
    export = _built_for_alpha(agency)
    web = host_client(agency, user=owner)
    assert AuditEvent.objects.filter(action="data.export_requested").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        first = web.post(f"/settings/export/{export.pk}/download/")
    assert first.status_code == 200
    assert first["Content-Disposition"].startswith('attachment; filename="alpha-export-')
    assert zipfile.ZipFile(io.BytesIO(b"".join(first.streaming_content))).testzip() is None

    again = web.post(f"/settings/export/{export.pk}/download/", follow=True)
    assert "downloaded already" in again.content.decode()
    export.refresh_from_db()
    assert (export.state, export.downloaded_by) == (ExportState.DOWNLOADED, "owner@alpha.test")
    assert not export.file.storage.exists(export.file.name)  # nothing left on the disk
    assert AuditEvent.objects.filter(action="data.export_downloaded").count() == 1


def test_the_operator_prepares_and_downloads_it(
    agency, operator, monkeypatch, django_capture_on_commit_callbacks
):
    user, console = operator
    queued = []
    monkeypatch.setattr(
        "agency.operator.tasks.export_build_task.apply_async",
        lambda args, headers: queued.append((args, headers)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        console.post("/operator/agencies/alpha/export/")
    connection.set_schema_to_public()
    export = AgencyExport.objects.get(agency__slug="alpha")
    assert queued == [((export.pk,), {"_schema_name": "public"})]  # built from the public schema
    services.export_build(export_id=export.pk)

    download = console.post(f"/operator/exports/{export.pk}/download/")

    assert download.status_code == 200
    connection.set_tenant(agency)
    owner = User.objects.get(email="owner@alpha.test")
    refused = host_client(agency, user=owner).post(f"/settings/export/{export.pk}/download/", follow=True)
    assert "downloaded already" in refused.content.decode()
    connection.set_schema_to_public()
    assert list(
        OperatorEvent.objects.filter(agency_slug="alpha").order_by("at").values_list("actor_label", "action")
    ) == [
        (user.email, "agency.export_requested"),
        (user.email, "agency.export_downloaded"),
    ]


@pytest.mark.parametrize("role", [None, Role.ADMIN, Role.STAFF, Role.CLIENT_VIEWER])
def test_only_owners_open_the_export_page(agency, make_user, role):
    export = _built_for_alpha(agency)
    web = host_client(agency, user=make_user(role) if role else None)
    for response in (
        web.get("/settings/export/"),
        web.post("/settings/export/"),
        web.post(f"/settings/export/{export.pk}/download/"),
    ):
        assert login_redirect(response) if role is None else response.status_code == 403
    export.refresh_from_db()
    assert export.state == ExportState.READY


def test_the_owner_page_lists_exports_and_asks_for_one(agency, owner, monkeypatch):
    monkeypatch.setattr("agency.operator.tasks.export_build_task.apply_async", lambda args, headers: None)
    web = host_client(agency, user=owner)

    assert web.get("/settings/export/").status_code == 200
    asked = web.post("/settings/export/", follow=True)

    assert "Your export is being prepared" in asked.content.decode()
    again = web.post("/settings/export/", follow=True)
    assert "being prepared already" in again.content.decode()
    assert AgencyExport.objects.filter(agency=agency).count() == 1
