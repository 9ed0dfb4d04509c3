"""An agency writes its commentary on a report, reads the real PDF's pages, approves it, and the
client receives it by email; then a share link opens it logged out, until revoked or expired.

The real web server renders nothing itself: the worker generates the PDF (again after the
commentary), sends the email (the test mailbox is the server's EMAIL_FILE_PATH) and the pages
shown are images of the stored PDF.
"""

import email
import email.policy
import re
import time
from datetime import UTC, datetime, timedelta

import pypdfium2
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.models import Agency
from agency.services import agency_create
from agency.team.models import User
from clients.models import Client, Location
from reports.models import ReportTemplate, ShareLink
from tests.conftest import committed
from tests.e2e.conftest import PASSWORD, log_in, screenshot
from tests.factories import FeedbackFactory, rollup

COMMENTARY = "This month we answered every review within a day.\n\n- Next: ask for reviews at check-out"
SEPARATOR = b"-" * 79
OWNER = "erin@e2e-report.example"


def last_month():
    first_this = datetime.now(UTC).date().replace(day=1)
    end = first_this - timedelta(days=1)
    return end.replace(day=1), end


def set_up_the_agency(slug):
    """The agency and a client with a month of feedback; the agency approves reports before they go out."""
    start, end = last_month()

    def setup():
        agency = agency_create(
            slug=slug, name="Alpine Reputation Co", owner_email=OWNER, owner_password=PASSWORD
        )
        with tenant_context(agency):
            password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the real server checks
            User.objects.filter(email=OWNER).update(password=password)
            client = Client.objects.create(name="Lakeside Hospitality", timezone="UTC",
                                           report_recipients=["owner@lakeside.example"])  # fmt: skip
            location = Location.objects.create(client=client, name="Hotel Seeblick",
                                               pulseback_email="hotel@lakeside.example")  # fmt: skip
            for i in range(40):
                day = datetime(start.year, start.month, 1 + i % 25, 12, tzinfo=UTC)
                FeedbackFactory(location=location, rating=(5, 4, 2, 5, 3)[i % 5], created_at=day)
            rollup(client)
            ReportTemplate.objects.create(sections=["summary", "commentary", "kpis", "ratings"],
                                          approval_required=True)  # fmt: skip
            return client.pk

    return committed(setup), start, end


def wait_for_mail(mail_dir, to, seconds=90):
    """The first email to ``to`` written by the server's file backend."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log")):
            for raw in path.read_bytes().split(SEPARATOR):
                message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
                if to in (message.get("To") or ""):
                    return message
        time.sleep(0.5)
    raise AssertionError(f"no email to {to} in {seconds} s")


def wait_for_pages(page):
    """The report page refreshes itself while the worker renders; then the PDF's pages show."""
    expect(page.locator("[data-role=state]")).to_have_text("Ready", timeout=90_000)
    pages = page.locator("img.pdf-page")
    expect(pages.first).to_be_visible()
    for i in range(pages.count()):
        pages.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth >= 1000", arg=pages.nth(i).element_handle()
        )
    return pages.count()


def test_comment_preview_approve_email_and_share(portal, page, browser):
    port, slug = portal["port"], "e2e-report"
    client_pk, start, end = set_up_the_agency(slug)
    base = f"http://{slug}.localhost:{port}"
    page.goto(f"{base}/login/")
    log_in(page, OWNER)

    page.goto(f"{base}/clients/{client_pk}/reports/")
    page.get_by_label("Start").fill(start.isoformat())
    page.get_by_label("End").fill(end.isoformat())
    page.get_by_role("button", name="Generate", exact=True).click()
    assert wait_for_pages(page) >= 2

    page.get_by_label("Commentary").fill(COMMENTARY)
    page.get_by_role("button", name="Save and update the PDF").click()
    expect(page.get_by_text("The commentary was saved")).to_be_visible()
    pages = wait_for_pages(page)  # the real PDF's pages, now with the commentary
    screenshot(page, "report-preview")

    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("waits for an owner or admin to approve it")).to_be_visible()
    page.get_by_role("link", name="Approvals").click()
    row = page.locator("tr", has_text="Lakeside Hospitality")
    expect(row).to_contain_text("This month we answered every review within a day.")
    screenshot(page, "report-approval-queue")
    row.get_by_role("button", name="Approve and send").click()

    message = wait_for_mail(portal["mail_dir"], "owner@lakeside.example")
    assert str(message["Subject"]).strip().startswith("Lakeside Hospitality: your reputation report, ")
    (attachment,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    pdf = pypdfium2.PdfDocument(attachment.get_payload(decode=True))
    text = " ".join(" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf)))
    assert "This month we answered every review within a day." in text and "Alpine Reputation Co" in text

    page.goto(f"{base}/clients/{client_pk}/reports/")
    page.get_by_role("link", name=re.compile(rf"{start:%b} {start.day}, {start.year}")).click()
    page.get_by_label("Link valid for").select_option("30")
    page.get_by_role("button", name="Create link").click()
    url = page.locator("input.share-url").first.input_value()
    assert url.startswith(f"{base}/r/")

    stranger = browser.new_context().new_page()
    response = stranger.goto(url)
    assert response.status == 200
    expect(stranger.get_by_role("heading", name="Lakeside Hospitality")).to_be_visible()
    expect(stranger.get_by_role("link", name="Download the PDF")).to_be_visible()
    expect(stranger.locator("img.pdf-page")).to_have_count(pages)
    screenshot(stranger, "report-shared")

    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("no longer opens the report")).to_be_visible()
    response = stranger.goto(url)
    assert response.status == 410
    expect(stranger.get_by_role("heading", name="This link was withdrawn")).to_be_visible()

    page.get_by_label("Link valid for").select_option("7")
    page.get_by_role("button", name="Create link").click()
    url = page.locator("input.share-url").first.input_value()
    assert stranger.goto(url).status == 200

    def expire():
        with tenant_context(Agency.objects.get(slug=slug)):
            ShareLink.objects.filter(revoked_at__isnull=True).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            )

    committed(expire)
    response = stranger.goto(url)
    assert response.status == 410
    expect(stranger.get_by_role("heading", name="This link has expired")).to_be_visible()
    views = committed(lambda: _views(slug))
    assert views == [1, 1]  # every opening counted in the delivery log, refusals not


def _views(slug):
    with tenant_context(Agency.objects.get(slug=slug)):
        return sorted(ShareLink.objects.values_list("views", flat=True))
