"""A team acts on feedback in the browser, and an alert reaches a Slack-style channel.

The owner assigns an item to a teammate, writes a note that mentions them (the email arrives), tags
it, assigns the five 5★ items and marks the twenty 1★ items handled in bulk (each confirmed with its
count); the teammate's My queue then holds exactly the five. Then a Slack channel (a local HTTP
receiver) gets the test message and, after a sync brings a new 1★ review, the alert with the client,
the location, the feedback excerpt and a link.
"""

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.models import Agency
from agency.services import agency_create
from agency.team.models import Role, User
from agency.webhooks.signing import signature_verify
from clients.models import Client, ConnectionState, Feedback, Location, SyncRun
from clients.rollups import feedback_daily_rebuild
from clients.services import SYNC_ACTIVE
from tests.conftest import SANDBOX_PASSWORD, committed
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, log_in, screenshot
from tests.e2e.test_screens import _check
from tests.webhooks.conftest import Receiver

# The runserver and worker these tests start may post to this test's loopback receiver (never in
# production). Set before any test starts them.
os.environ["WEBHOOKS_ALLOW_LOOPBACK_TARGETS"] = "1"

SLUG = "e2e-workflow"
OWNER, SAM = f"erin@{SLUG}.example", f"sam@{SLUG}.example"


def _setup(server, sandbox_email):
    """The agency, Sam (staff), Harbor Café with twenty 1★ and five 5★ items, and Seaside Diner
    whose location is a sandbox account (synced from the browser)."""
    agency = agency_create(slug=SLUG, name="Harbor Agency", owner_email=OWNER, owner_password=PASSWORD)
    now = datetime.now(UTC)
    with tenant_context(agency):
        password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the real server checks
        User.objects.filter(email=OWNER).update(password=password, full_name="Erin Owner")
        User.objects.create(email=SAM, password=password, role=Role.STAFF, full_name="Sam Staff")
        cafe = Client.objects.create(name="Harbor Café", timezone="UTC")
        pier = Location.objects.create(client=cafe, name="Pier", pulseback_email="pier@pb.test",
                                       state=ConnectionState.CONNECTED, last_synced_at=now)  # fmt: skip
        Feedback.objects.bulk_create(
            Feedback(location=pier, client=cafe, pulseback_id=f"pier-{n}", rating=rating, raw={},
                     created_at=now - timedelta(hours=n), comment=f"{text} #{n}", customer_name="Guest",
                     sentiment="negative" if rating == 1 else "positive", status="new", content_hash="0" * 32)
            for n, (rating, text) in enumerate([(1, "Cold coffee")] * 20 + [(5, "Great view")] * 5)
        )  # fmt: skip
        feedback_daily_rebuild(client=cafe)  # as a sync leaves them: the lists' counts read them
        diner = Client.objects.create(name="Seaside Diner", timezone="UTC")
        Location.objects.create(
            client=diner, name="Boardwalk", pulseback_email=sandbox_email,
            pulseback_password=SANDBOX_PASSWORD, api_url=server.api_url, auth_url=server.auth_url,
            anon_key=server.anon_key,
        )  # fmt: skip
        return {"cafe": cafe.pk, "diner": diner.pk}


@pytest.fixture(scope="module")
def world(portal, django_db_blocker):
    sandbox = portal["sandbox"]
    email = f"diner-{uuid.uuid4().hex[:8]}@sandbox.pulseback.test"
    sandbox.sandbox.add_account(email, SANDBOX_PASSWORD, name="Seaside Diner", items=12)
    with django_db_blocker.unblock():
        ids = committed(lambda: _setup(sandbox, email))
    return {**ids, "email": email, "host": f"http://{SLUG}.localhost:{portal['port']}"}


@pytest.fixture
def slack():
    with Receiver() as receiver:
        yield receiver


def _mail(portal, containing, seconds=30):
    """The emails (as text) written by the portal's worker that contain ``containing``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [text for path in portal["mail_dir"].glob("*")
                 if containing in (text := path.read_text(encoding="utf-8", errors="replace"))]  # fmt: skip
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no email containing {containing!r} in {seconds} s")


def _bulk(page, count, button, assignee=None):
    """Open the inbox's bulk actions, press ``button``, check the confirmation's count, confirm."""
    page.get_by_text(f"Act on the {count} items matching these filters").click()
    if assignee:
        page.get_by_label("Assign to").select_option(label=assignee)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".confirm-count")).to_have_text(
        f"This changes {count} items. Items that already are as asked stay as they are."
    )
    page.locator(".confirm form button[type=submit]").click()


def test_a_team_assigns_notes_tags_and_handles_feedback_in_bulk(portal, page, world):
    host = world["host"]
    page.goto(f"{host}/login/")
    log_in(page, OWNER)

    page.goto(f"{host}/feedback/?client={world['cafe']}&rating=1")
    page.locator("table.inbox tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Our handling")).to_be_visible()
    page.get_by_label("Assigned to").select_option(label="Sam Staff")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Assigned to Sam Staff.")).to_be_visible()

    page.get_by_role("button", name="@sam").click()
    page.get_by_label("Add a note").press_sequentially("please call this guest back today.")
    assert page.get_by_label("Add a note").input_value() == "@sam please call this guest back today."
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added. Emailed Sam Staff.")).to_be_visible()
    expect(page.locator(".note-body .mention")).to_have_text("@sam")

    page.get_by_label("Add a tag").fill("Callback")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".tag-list.editable .tag")).to_have_count(1)
    expect(page.locator(".tag-list.editable .tag")).to_contain_text("callback")
    item_url = page.url.split("#")[0]
    screenshot(page, "feedback-actionable-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "feedback-actionable-phone")
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    page.set_viewport_size(DESKTOP)

    (mention,) = _mail(portal, "please call this guest back today.")
    assert f"To: {SAM}" in mention and item_url in mention

    page.goto(f"{host}/feedback/?client={world['cafe']}&rating=5")
    _bulk(page, 5, "Assign…", assignee="Sam Staff")
    expect(page.get_by_text("Assigned 5 items to Sam Staff.")).to_be_visible()

    page.goto(f"{host}/feedback/?client={world['cafe']}&rating=1")
    page.get_by_text("Act on the 20 items matching these filters").click()
    page.get_by_role("button", name="Mark handled…", exact=True).click()
    screenshot(page, "feedback-bulk-confirm-desktop")
    page.go_back()
    _bulk(page, 20, "Mark handled…")
    expect(page.get_by_text("Marked 20 items as handled by us.")).to_be_visible()
    page.goto(f"{host}/feedback/?client={world['cafe']}&handled=yes")
    expect(page.locator("table.inbox tbody tr")).to_have_count(20)
    screenshot(page, "inbox-handled-desktop")

    page.context.clear_cookies()
    page.goto(f"{host}/login/")
    log_in(page, SAM)
    page.goto(f"{host}/my-queue/")
    expect(page.get_by_role("heading", name="My queue · 5 open")).to_be_visible()
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text="Great view")).to_have_count(5)
    (assigned,) = _mail(portal, "assigned you 5 feedback items")
    assert f"{host}/my-queue/" in assigned
    problems = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        _check(page, "my-queue-assigned", f"{host}/my-queue/", viewport, problems)
        _check(page, "feedback-bulk-confirm", f"{host}/feedback/bulk/?rating=5&bulk_action=handle", viewport,
               problems)  # fmt: skip
        _check(page, "inbox-with-handling", f"{host}/feedback/?client={world['cafe']}", viewport, problems)
    assert problems == []


def _wait_backfilled(client_id, seconds=60):
    """Until the client's location is backfilled and its run has ended (released its lock)."""

    def backfilled():
        with tenant_context(Agency.objects.get(slug=SLUG)):
            done = Location.objects.filter(client_id=client_id, backfilled_at__isnull=False).exists()
            active = SyncRun.objects.filter(location__client_id=client_id, state__in=SYNC_ACTIVE)
            return done and not active.exists()

    deadline = time.monotonic() + seconds
    while not committed(backfilled):
        assert time.monotonic() < deadline, "the backfill did not finish"
        time.sleep(0.3)


def _negative_alert(receiver):
    for _status, _headers, body, _path in receiver.requests:
        payload = json.loads(body)
        if payload["blocks"][0]["text"]["text"].startswith("Negative feedback"):
            return payload
    return None


def test_a_negative_review_reaches_a_slack_channel(portal, page, world, slack, django_db_blocker):
    host = world["host"]
    page.goto(f"{host}/login/")
    log_in(page, OWNER)

    page.goto(f"{host}/settings/alerts/channels/")
    page.get_by_label("Service").select_option(label="Slack")
    page.get_by_label("Name").fill("#reviews")
    page.get_by_label("Incoming-webhook URL").fill(slack.url)
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("#reviews was added")).to_be_visible()
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_text("Test posted to #reviews (HTTP 200).")).to_be_visible()
    assert json.loads(slack.requests[0][2])["blocks"][0]["text"]["text"].startswith("Test: Alert")

    page.goto(f"{host}/settings/alerts/")
    rule = page.locator("#rule-negative_feedback")
    rule.get_by_label("#reviews (Slack)").check()
    rule.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The rule “Negative feedback” was saved.")).to_be_visible()
    problems = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        _check(page, "alert-channels", f"{host}/settings/alerts/channels/", viewport, problems)
        _check(page, "alert-rules-channels", f"{host}/settings/alerts/", viewport, problems)
    page.set_viewport_size(DESKTOP)
    assert problems == []

    page.goto(f"{host}/clients/{world['diner']}/")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("[data-role=state]").first).to_have_text("Connected", timeout=60_000)
    # The backfill stores history without alerting: the new review must come after it, by a sync.
    with django_db_blocker.unblock():
        _wait_backfilled(world["diner"])
    portal["sandbox"].sandbox.add_items(world["email"], items=[
        {"rating": 1, "comment": "Cold fries and a forty minute wait.", "customer_name": "Zoë"}])  # fmt: skip
    page.get_by_role("button", name="Sync now").click()

    deadline = time.monotonic() + 60
    while (alert := _negative_alert(slack)) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert alert is not None, "no negative feedback alert reached the channel"
    texts = "\n".join(part["text"] for block in alert["blocks"]
                      for part in [block.get("text"), *block.get("fields", [])] if part)  # fmt: skip
    assert "*Client*\nSeaside Diner" in texts and "*Location*\nBoardwalk" in texts
    assert "> 1★ Zoë: Cold fries and a forty minute wait." in texts
    link = alert["blocks"][-1]["elements"][0]["url"]
    assert link.startswith(f"{host}/feedback/")
    page.goto(link)
    expect(page.get_by_text("Cold fries and a forty minute wait.")).to_be_visible()


def test_webhooks_are_added_tested_and_logged_in_the_portal(portal, page, world, slack):
    host = world["host"]
    page.goto(f"{host}/login/")
    log_in(page, OWNER)

    page.goto(f"{host}/settings/webhooks/")
    page.get_by_label("URL").fill(slack.url)
    page.get_by_label("Description").fill("Zapier: CRM")
    page.get_by_label("A sync failed").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator(".secret-value").inner_text()
    assert secret.startswith("whsec_")
    screenshot(page, "webhook-created-desktop")
    page.get_by_role("button", name="Send a test delivery").click()
    expect(page.get_by_text("Test delivered: HTTP 200 in")).to_be_visible()
    expect(page.locator(".secret-value")).to_have_count(0)  # shown once only

    _status, headers, body, _path = slack.requests[-1]
    assert json.loads(body)["type"] == "ping"
    assert signature_verify(secret=secret, header=headers["X-Portal-Signature"], body=body)
    detail = page.url
    problems = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        _check(page, "webhooks", f"{host}/settings/webhooks/", viewport, problems)
        _check(page, "webhook-detail", detail, viewport, problems)
    assert problems == []
