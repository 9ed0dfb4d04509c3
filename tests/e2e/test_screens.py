"""Every main page, as an agency with a real portfolio sees it, on a desktop and on a phone (390 px):
no horizontal scrolling, no serious or critical accessibility violation (axe-core, bundled with
axe-playwright-python), keyboard focus visible, and a screenshot of each in artifacts/screenshots/.
"""

import contextlib
import random
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.hashers import make_password
from django.urls import NoReverseMatch, reverse
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.services import agency_create
from agency.team.models import Role, User
from clients.alerts.models import Alert, AlertKind
from clients.models import Client, ConnectionState, Feedback, Location, ViewerAccess
from clients.portfolio.models import ClientGroup, GroupKind
from clients.rollups import feedback_daily_rebuild
from tests.conftest import committed
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, log_in, screenshot

SLUG = "e2e-screens"
OWNER, VIEWER = f"owner@{SLUG}.example", "owner@bistro.example"
CLIENTS = {  # client: its locations
    "Bistro Verde": ["Main Street", "Harbour"],
    "Bright Smile Dental": ["Dental"],
    "Northside Auto Repair": ["Workshop"],
    "Salon Lumière": ["Old Town", "Riverside"],
    "Hotel Seeblick": ["Hotel"],
    "Café Lune": ["Café"],
}
GROUPS = {
    ("North", GroupKind.REGION): ["Bistro Verde", "Northside Auto Repair"],
    ("South", GroupKind.REGION): ["Salon Lumière", "Hotel Seeblick"],
    ("Sam Jones", GroupKind.ACCOUNT_MANAGER): ["Bistro Verde", "Bright Smile Dental", "Café Lune"],
}
COMMENTS = {
    5: "Lovely staff, spotless rooms and the best breakfast in town. We will be back!",
    4: "Good service overall; the wait was a little long on Saturday evening.",
    3: "Average. Friendly people but the prices went up again.",
    2: "Waited forty minutes and nobody apologised.",
    1: "Rude answer on the phone and the order was wrong. Very disappointed.",
}
# Pages other parts of the portal are adding: checked once they exist.
LATER_PAGES = (("my-queue", "my_queue"), ("webhooks", "webhook_list"), ("security", "account_security"))
NAMES = ["Ana Ruiz", "Tom Berg", "Lea Novak", None]
AXE = Axe()


def _feedback(rng, location, now):
    items = []
    for day in range(90):
        for _ in range(rng.randint(0, 4)):
            rating = rng.choices([5, 4, 3, 2, 1], weights=[40, 30, 12, 10, 8])[0]
            sentiment = "positive" if rating >= 4 else "neutral" if rating == 3 else "negative"
            items.append(Feedback(
                location=location, client=location.client, pulseback_id=f"{location.pk}-{len(items)}",
                created_at=now - timedelta(days=day, hours=rng.randint(0, 20)), rating=rating,
                comment=COMMENTS[rating], customer_name=rng.choice(NAMES), sentiment=sentiment,
                themes=rng.sample(["service", "food", "price", "wait", "staff"], 2),
                status=rng.choice(["new", "reviewed", "resolved", "resolved"]),
                source=rng.choice(["qr_code", "widget", "email"]), raw={}, content_hash="0" * 32,
            ))  # fmt: skip
    Feedback.objects.bulk_create(items)


def _portfolio():
    """The agency, its clients (a broken login, stale data, a spike), groups, and a business owner."""
    agency = agency_create(slug=SLUG, name="Northwind Marketing", owner_email=OWNER, owner_password=PASSWORD)
    now, rng = datetime.now(UTC), random.Random(13)
    with tenant_context(agency):
        password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the real server checks
        User.objects.filter(email=OWNER).update(password=password, full_name="Erin Example")
        ids = {}
        for name, places in CLIENTS.items():
            client = Client.objects.create(name=name, timezone="Europe/Paris")
            for place in places:
                location = Location.objects.create(
                    client=client, name=place, pulseback_email=f"{place.lower().replace(' ', '')}@pb.test",
                    state=ConnectionState.CONNECTED, last_synced_at=now,
                )  # fmt: skip
                _feedback(rng, location, now)
                ids[place] = location
            feedback_daily_rebuild(client=client)
            ids[name] = client
        Location.objects.filter(pk=ids["Harbour"].pk).update(
            state=ConnectionState.INVALID_CREDENTIALS, last_error="PulseBack refused the login.",
            last_error_at=now - timedelta(hours=5),
        )  # fmt: skip
        Location.objects.filter(pk=ids["Workshop"].pk).update(last_synced_at=now - timedelta(hours=7))
        Alert.objects.create(
            kind=AlertKind.SPIKE, client=ids["Salon Lumière"], location=ids["Old Town"], key="screens-spike",
            message="6 negative feedback in 24 hours at Old Town (usually 1).",
        )  # fmt: skip
        for (name, kind), members in GROUPS.items():
            group = ClientGroup.objects.create(name=name, kind=kind)
            group.clients.set([ids[member] for member in members])
        viewer = User.objects.create(email=VIEWER, password=password, role=Role.CLIENT_VIEWER)
        ViewerAccess.objects.create(user=viewer, client=ids["Bistro Verde"])
        return {
            "bistro": ids["Bistro Verde"].pk,
            "main": ids["Main Street"].pk,
            "group": ClientGroup.objects.get(name="North").pk,
            "feedback": Feedback.objects.filter(location=ids["Main Street"]).order_by("-created_at")[0].pk,
        }


@pytest.fixture(scope="module")
def screens(portal, django_db_blocker):
    with django_db_blocker.unblock():
        return committed(_portfolio)


def _owner_pages(ids):
    bistro = ids["bistro"]
    pages = [
        ("overview", "/"),
        ("overview-group", f"/?group={ids['group']}"),
        ("locations", "/locations/"),
        ("groups", "/groups/"),
        ("group-edit", f"/groups/{ids['group']}/"),
        ("client-dashboard", f"/clients/{bistro}/"),
        ("location-dashboard", f"/clients/{bistro}/locations/{ids['main']}/"),
        ("client-add", "/clients/new/"),
        ("client-add-first", "/clients/new/?first=1"),
        ("client-edit", f"/clients/{bistro}/edit/"),
        ("client-import", "/clients/import/"),
        ("client-viewers", f"/clients/{bistro}/viewers/"),
        ("client-reports", f"/clients/{bistro}/reports/"),
        ("inbox", "/feedback/"),
        ("feedback-detail", f"/feedback/{ids['feedback']}/"),
        ("alerts", "/alerts/"),
        ("alert-rules", "/settings/alerts/"),
        ("approvals", "/reports/queue/"),
        ("team", "/team/"),
        ("branding", "/settings/branding/"),
        ("audit-log", "/settings/audit/"),
        ("api-tokens", "/settings/api-tokens/"),
    ]
    for name, url_name in LATER_PAGES:
        with contextlib.suppress(NoReverseMatch):  # not built yet
            pages.append((name, reverse(url_name, urlconf="agency.urls")))
    return pages


def _check(page, name, url, viewport, problems):
    """Open ``url``, keep its screenshot, and add to ``problems`` what a visitor would suffer."""
    label = f"{name} ({viewport['width']} px)"
    response = page.goto(url)
    if response.status != 200:
        problems.append(f"{label}: HTTP {response.status}")
        return
    screenshot(page, f"{name}-{'phone' if viewport == PHONE else 'desktop'}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width != viewport["width"]:
        problems.append(f"{label}: {width} px wide, scrolls sideways")
    for violation in AXE.run(page).response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            where = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            problems.append(f"{label}: axe {violation['id']} ({violation['impact']}) at {where}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_main_page_fits_and_passes_axe(portal, browser, screens, viewport):
    host = f"http://{SLUG}.localhost:{portal['port']}"
    problems = []
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _check(page, "signup", f"http://localhost:{portal['port']}/signup/", viewport, problems)
        _check(page, "login", f"{host}/login/", viewport, problems)
        log_in(page, OWNER)
        for name, path in _owner_pages(screens):
            _check(page, name, host + path, viewport, problems)
        context.clear_cookies()
        page.goto(f"{host}/login/")
        log_in(page, VIEWER)
        _check(page, "business-owner-dashboard", f"{host}/", viewport, problems)
    finally:
        context.close()
    assert problems == []


def test_on_a_phone_the_navigation_opens_from_its_menu_button(portal, browser, screens):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"http://{SLUG}.localhost:{portal['port']}/login/")
        log_in(page, OWNER)
        nav, menu = page.locator("#site-nav"), page.get_by_role("button", name="Menu")
        expect(nav).to_be_hidden()
        menu.click()
        expect(nav).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "true")
        page.get_by_text("Settings", exact=True).click()
        expect(page.get_by_role("link", name="Audit log")).to_be_visible()
        screenshot(page, "navigation-phone")
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    finally:
        context.close()


FOCUSED = (
    "(() => { const el = document.activeElement; if (!el || el === document.body) return null;"
    " const s = getComputedStyle(el); return [el.textContent.trim(), s.outlineStyle, s.outlineWidth]; })()"
)


def test_keyboard_focus_is_visible(portal, page, screens):
    page.goto(f"http://{SLUG}.localhost:{portal['port']}/login/")
    log_in(page, OWNER)

    for _ in range(10):  # a headless window gives the page the focus after a few presses
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED):
            break
    outlines = [page.evaluate(FOCUSED)]
    for _ in range(6):
        page.keyboard.press("Tab")
        outlines.append(page.evaluate(FOCUSED))

    assert outlines[0][0] == "Skip to content"
    assert all(style != "none" and width != "0px" for _, style, width in outlines), outlines
