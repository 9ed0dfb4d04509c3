"""Sign up an agency in the browser: the address follows the name, the rules show before the first
try, the emailed link creates the workspace and signs the owner in on its own domain, on the
"connect your first client" step; another agency's login does not open it."""

from playwright.sync_api import expect

from tests.e2e.accounts import mailed_link, sign_up, sign_up_form
from tests.e2e.conftest import log_in, screenshot


def test_sign_up_confirm_the_email_and_land_signed_in(portal, page):
    port = portal["port"]
    page.goto(f"http://localhost:{port}/signup/")
    expect(page.get_by_text("at least 10 characters")).to_be_visible()  # before any attempt
    page.get_by_label("Agency name").fill("E2E North Star")
    expect(page.get_by_label("Workspace address")).to_have_value("e2e-north-star")
    expect(page.get_by_text("Your portal will live at e2e-north-star.localhost (made from")).to_be_visible()
    screenshot(page, "signup")

    sign_up(page, portal, "e2e-north-star", "E2E North Star")

    expect(page.get_by_role("heading", name="Connect your first client")).to_be_visible()
    expect(page.locator("header")).to_contain_text("E2E North Star")
    screenshot(page, "signup-first-client")


def test_nothing_exists_until_the_link_is_opened(portal, page):
    port = portal["port"]
    sign_up_form(page, port, "e2e-pending", "Pending", "erin@e2e-pending.example")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "signup-check-email")

    response = page.goto(f"http://e2e-pending.localhost:{port}/login/")

    assert response.status == 404
    link = mailed_link(
        portal["mail_dir"], "erin@e2e-pending.example", r"http://localhost:\d+/signup/verify/\S+/"
    )
    page.goto(link)
    expect(page.get_by_role("button", name="Create my workspace")).to_be_visible()


def test_a_taken_address_is_said_once(portal, page):
    sign_up(page, portal, "e2e-taken", "Taken One")

    sign_up_form(page, portal["port"], "e2e-taken", "Taken Two", "other@e2e-taken.example")

    expect(page.get_by_text("“e2e-taken” is already taken.")).to_have_count(1)
    expect(page.get_by_text("is already in use")).to_have_count(0)


def test_a_login_of_one_agency_does_not_open_another(portal, page, browser):
    port = portal["port"]
    email = sign_up(page, portal, "e2e-south", "South Agency")
    other = browser.new_context().new_page()
    sign_up(other, portal, "e2e-west", "West Agency")

    page.goto(f"http://e2e-west.localhost:{port}/login/")
    log_in(page, email)

    expect(page.get_by_text("Please enter a correct email and password")).to_be_visible()
