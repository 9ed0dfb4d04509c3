"""Sign up an agency in the browser, land on its own domain, log in; another agency's login fails."""

from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot, sign_up


def test_sign_up_then_log_in_on_the_agency_domain(portal, page):
    port = portal["port"]
    page.goto(f"http://localhost:{port}/signup/")
    screenshot(page, "signup")

    sign_up(page, port, "e2e-north", "North Star Marketing")

    expect(page).to_have_url(f"http://e2e-north.localhost:{port}/login/?welcome=1")
    expect(page.get_by_text("Your workspace is ready")).to_be_visible()
    screenshot(page, "login")
    log_in(page, "erin@e2e-north.example")
    expect(page).to_have_url(f"http://e2e-north.localhost:{port}/")
    expect(page.locator("header")).to_contain_text("North Star Marketing")
    screenshot(page, "overview-empty")


def test_sign_up_with_a_taken_address_says_so(portal, page):
    port = portal["port"]
    sign_up(page, port, "e2e-taken", "Taken One")

    sign_up(page, port, "e2e-taken", "Taken Two")

    expect(page.get_by_text("“e2e-taken” is already taken.")).to_be_visible()


def test_a_login_of_one_agency_does_not_open_another(portal, page):
    port = portal["port"]
    sign_up(page, port, "e2e-south", "South Agency")
    sign_up(page, port, "e2e-west", "West Agency")

    page.goto(f"http://e2e-west.localhost:{port}/login/")
    log_in(page, "erin@e2e-south.example")

    expect(page.get_by_text("Please enter a correct email and password")).to_be_visible()
