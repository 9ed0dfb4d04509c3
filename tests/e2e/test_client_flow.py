"""An agency adds a sandbox client in the browser, watches the backfill finish, and reads its data.

The dashboard's figures must equal the sandbox's ground truth; the inbox
filters and its CSV export must hold exactly the matching items; a client
viewer of another client is refused.
"""

import csv
import io
import statistics
import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.models import Agency
from agency.team.models import Role, User
from clients.models import Client, ViewerAccess
from tests.conftest import SANDBOX_PASSWORD, committed
from tests.e2e.conftest import PASSWORD, log_in, screenshot, sign_up


def add_sandbox_client(page, port, sandbox_server, email, name):
    page.goto(f"http://e2e-flow.localhost:{port}/clients/new/")
    page.get_by_label("Business name").fill(name)
    page.get_by_label("PulseBack login email").fill(email)
    page.get_by_label("PulseBack password").fill(SANDBOX_PASSWORD)
    page.get_by_label("PulseBack API URL").fill(sandbox_server.api_url)
    page.get_by_label("PulseBack sign-in URL").fill(sandbox_server.auth_url)
    page.get_by_label("PulseBack public key").fill(sandbox_server.anon_key)


def test_add_a_client_watch_the_backfill_and_read_its_feedback(portal, page):
    port, sandbox_server = portal["port"], portal["sandbox"]
    email = f"flow-{uuid.uuid4().hex[:8]}@sandbox.pulseback.test"
    sandbox_server.sandbox.add_account(email, SANDBOX_PASSWORD, name="Flow Bistro", items=260)
    truth = sandbox_server.sandbox.ground_truth(email)
    sign_up(page, port, "e2e-flow", "Flow Agency")
    log_in(page, "erin@e2e-flow.example")

    add_sandbox_client(page, port, sandbox_server, email, "Flow Bistro")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text(f"{len(truth)} feedback items")).to_be_visible()
    screenshot(page, "client-add")
    # Tested in the background: the page stayed, with the password still typed in (the server
    # never renders it back).
    assert page.get_by_label("PulseBack password").input_value() == SANDBOX_PASSWORD
    page.get_by_role("button", name="Add client").click()

    expect(page.get_by_role("heading", name="Flow Bistro")).to_be_visible()
    expect(page.locator("[data-role=state]").first).to_have_text("Connected", timeout=60_000)
    screenshot(page, "dashboard-synced")

    today = datetime.now(UTC).date()
    start = today - timedelta(days=1000)
    page.goto(f"{page.url.split('?')[0]}?period=custom&start={start}&end={today}")
    average = statistics.mean(item["rating"] for item in truth)
    expect(page.locator(".kpi", has_text="Average rating").locator(".value")).to_have_text(f"{average:.2f}★")
    expect(page.locator(".kpi", has_text="Feedback").locator(".value").first).to_have_text(str(len(truth)))
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Feedback inbox").click()
    page.get_by_label("Status").select_option("new")
    page.get_by_role("button", name="Filter").click()
    screenshot(page, "inbox")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    expected = [item for item in truth if item["status"] == "new"]
    assert len(rows) == len(expected)
    for row in rows:
        comment = row.get("comment") or ""
        assert not comment.startswith(("=", "+", "-", "@")), "a formula reached the spreadsheet"


def test_a_client_viewer_sees_their_client_and_is_refused_another(portal, page):
    port = portal["port"]
    sign_up(page, port, "e2e-viewer", "Viewer Agency")

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

    page.goto(f"http://e2e-viewer.localhost:{port}/clients/{mine}/")
    expect(page.get_by_role("heading", name="Mine Café")).to_be_visible()
    response = page.goto(f"http://e2e-viewer.localhost:{port}/clients/{other}/")
    assert response.status == 404
    expect(page.get_by_text("Other Salon")).to_have_count(0)
