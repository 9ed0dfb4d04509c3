"""A new agency connects its first client in the browser with the sandbox's defaults, watches the
backfill fill the dashboard in without a reload, and reads its data.

The dashboard's figures must equal the sandbox's ground truth; the inbox
filters and its CSV export must hold exactly the matching items; a client
viewer of another client is refused.
"""

import csv
import io
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.models import Agency
from agency.services import agency_create
from agency.team.models import Role, User
from clients.models import Client, ViewerAccess
from tests.conftest import SANDBOX_PASSWORD, committed
from tests.e2e.conftest import PASSWORD, log_in, screenshot


def new_agency(slug, name):
    """An agency and its owner, as a verified sign-up leaves them; the owner's email."""
    email = f"erin@{slug}.example"

    def create():
        agency = agency_create(slug=slug, name=name, owner_email=email, owner_password=PASSWORD)
        with tenant_context(agency):  # hashed as the real server checks it
            User.objects.filter(email=email).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    committed(create)
    return email


def test_the_first_client_with_the_sandbox_defaults_then_the_dashboard_fills_in_live(portal, page):
    port, sandbox_server = portal["port"], portal["sandbox"]
    sandbox = sandbox_server.sandbox
    email = f"flow-{uuid.uuid4().hex[:8]}@sandbox.pulseback.test"
    sandbox.add_account(email, SANDBOX_PASSWORD, name="Flow Bistro", items=260)
    truth = sandbox.ground_truth(email)
    owner = new_agency("e2e-flow", "Flow Agency")
    # Where sign-up lands, logged in: the first-client step.
    page.goto(f"http://e2e-flow.localhost:{port}/login/?next=/clients/new/%3Ffirst%3D1")
    log_in(page, owner)

    expect(page.get_by_role("heading", name="Connect your first client")).to_be_visible()
    expect(page.get_by_text("Development portal:")).to_be_visible()
    screenshot(page, "client-add-first")
    page.get_by_label("Business name").fill("Flow Bistro")
    page.get_by_label("PulseBack login email").fill(email)
    page.get_by_label("PulseBack password").fill(SANDBOX_PASSWORD)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text(f"{len(truth)} feedback items")).to_be_visible()
    # Tested in the background: the page stayed, with the password still typed in (the server
    # never renders it back).
    assert page.get_by_label("PulseBack password").input_value() == SANDBOX_PASSWORD
    sandbox.set_faults(slow_ms=600)  # a backfill of some seconds: the dashboard is open meanwhile
    try:
        page.get_by_role("button", name="Add client").click()
        expect(page.get_by_role("heading", name="Flow Bistro")).to_be_visible()
        page.evaluate("window.sameDocument = true")
        expect(page.locator("[data-role=state]").first).to_have_text("Connected", timeout=60_000)
        expect(page.locator("[data-role=figures-note]")).to_contain_text("Figures updated", timeout=30_000)
    finally:
        sandbox.clear_faults()

    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    zone = ZoneInfo(committed(lambda: _client_timezone("e2e-flow", "Flow Bistro")))
    today = datetime.now(zone).date()
    recent = [item for item in truth if _local_day(item, zone) > today - timedelta(days=30)]
    kpi = page.locator(".kpi", has_text="Feedback").locator(".value").first
    expect(kpi).to_have_text(str(len(recent)))
    screenshot(page, "dashboard-synced")

    start = datetime.now(UTC).date() - timedelta(days=1000)
    page.goto(f"{page.url.split('?')[0]}?period=custom&start={start}&end={today}")
    average = statistics.mean(item["rating"] for item in truth)
    expect(page.locator(".kpi", has_text="Average rating").locator(".value")).to_have_text(f"{average:.2f}★")
    expect(page.locator(".kpi", has_text="Feedback").locator(".value").first).to_have_text(str(len(truth)))

    page.get_by_role("link", name="Feedback inbox").click()
    page.get_by_label("Status").select_option("new")
    page.get_by_role("button", name="Filter").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    expected = [item for item in truth if item["status"] == "new"]
    assert len(rows) == len(expected)
    for row in rows:
        comment = row.get("comment") or ""
        assert not comment.startswith(("=", "+", "-", "@")), "a formula reached the spreadsheet"


def _client_timezone(slug, name):
    with tenant_context(Agency.objects.get(slug=slug)):
        return Client.objects.get(name=name).timezone


def _local_day(item, zone):
    return datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")).astimezone(zone).date()


def test_a_client_viewer_sees_their_client_and_is_refused_another(portal, page):
    port = portal["port"]
    new_agency("e2e-viewer", "Viewer Agency")

    def setup():
        agency = Agency.objects.get(slug="e2e-viewer")
        with tenant_context(agency):
            mine, other = Client.objects.create(name="Mine Café"), Client.objects.create(name="Other Salon")
            password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the real server checks
            viewer = User.objects.create(
                email="viewer@mine.example", password=password, role=Role.CLIENT_VIEWER
            )
            ViewerAccess.objects.create(user=viewer, client=mine)
            return mine.pk, other.pk

    mine, other = committed(setup)
    page.goto(f"http://e2e-viewer.localhost:{port}/login/")
    log_in(page, "viewer@mine.example")

    expect(page).to_have_url(f"http://e2e-viewer.localhost:{port}/clients/{mine}/")
    expect(page.get_by_role("heading", name="Mine Café")).to_be_visible()
    expect(page.get_by_text("here is what Mine Café's customers say")).to_be_visible()
    response = page.goto(f"http://e2e-viewer.localhost:{port}/clients/{other}/")
    assert response.status == 404
    expect(page.get_by_text("Other Salon")).to_have_count(0)
