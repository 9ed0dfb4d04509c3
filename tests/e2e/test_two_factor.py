"""Two-factor authentication in a real browser: set it up from the QR code page, sign in with a code
from the app, then with a recovery code; and an owner requiring it for every member."""

import base64

from django.contrib.auth.hashers import make_password
from django_otp.oath import totp
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agency.models import Agency
from agency.services import agency_create
from agency.team.models import Role, User
from tests.conftest import committed
from tests.e2e.conftest import PASSWORD, log_in, screenshot


def new_agency(slug, *members):
    """An agency, its owner and ``members`` (emails of staff), with passwords the real server checks."""
    owner = f"owner@{slug}.example"

    def create():
        agency = agency_create(slug=slug, name=f"Agency {slug}", owner_email=owner, owner_password=PASSWORD)
        with tenant_context(agency):
            for email in members:
                User.objects.create(email=email, role=Role.STAFF)
            User.objects.update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    committed(create)
    return owner


def app_code(secret, steps_ahead=1):
    """What an authenticator app shows for ``secret`` (base32), ``steps_ahead`` 30 s steps from now:
    a code is accepted once, and the next step's is accepted too (django-otp's tolerance)."""
    secret = secret.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=steps_ahead):06d}"


def log_out(page):
    page.locator(".nav-user summary").click()
    page.get_by_role("button", name="Log out", exact=True).click()


def set_up(page, port, slug):
    """From the security page: scan (read the key), type a code; returns (secret, recovery codes)."""
    page.goto(f"http://{slug}.localhost:{port}/settings/security/")
    page.get_by_role("link", name="Turn on two-factor authentication").click()
    expect(page.locator("figure svg")).to_be_visible()  # the QR code, drawn by the portal itself
    screenshot(page, "two-factor-setup")
    secret = page.locator('[data-role="secret"]').inner_text().strip()
    page.get_by_label("Code from the app").fill(app_code(secret, steps_ahead=0))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = [code.strip() for code in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Recovery codes left: 10 of 10")).to_be_visible()
    screenshot(page, "security")
    return secret, codes


def test_set_up_then_sign_in_with_a_code_then_with_a_recovery_code(portal, page):
    port, slug = portal["port"], "e2e-2fa"
    owner = new_agency(slug)
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)
    secret, codes = set_up(page, port, slug)

    log_out(page)
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.goto(f"http://{slug}.localhost:{port}/clients/new/")  # nothing opens before the code
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    screenshot(page, "two-factor-code")
    page.get_by_label("Code", exact=True).fill(app_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"http://{slug}.localhost:{port}/clients/new/")

    log_out(page)
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You used a recovery code: 9 left")).to_be_visible()

    log_out(page)
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)
    page.get_by_label("Code", exact=True).fill(codes[0])  # once only
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code did not work")).to_be_visible()


def test_an_owner_requires_two_factor_of_every_member(portal, page, browser):
    port, slug = portal["port"], "e2e-2fa-rule"
    owner = new_agency(slug, "sam@e2e-2fa-rule.example")
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)
    page.goto(f"http://{slug}.localhost:{port}/settings/security/")
    page.get_by_label("Require two-factor for every member").check()
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_text("now required for every member")).to_be_visible()

    member = browser.new_context().new_page()
    member.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(member, "sam@e2e-2fa-rule.example")

    expect(member.get_by_text("Two-factor authentication is required here")).to_be_visible()
    expect(member.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    member.goto(f"http://{slug}.localhost:{port}/feedback/")  # nothing else opens first
    expect(member.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    secret = member.locator('[data-role="secret"]').inner_text().strip()
    member.get_by_label("Code from the app").fill(app_code(secret, steps_ahead=0))
    member.get_by_role("button", name="Turn on").click()
    member.get_by_role("link", name="I have saved them").click()
    member.goto(f"http://{slug}.localhost:{port}/feedback/")
    expect(member).to_have_url(f"http://{slug}.localhost:{port}/feedback/")
    assert committed(lambda: _enrolled(slug, "sam@e2e-2fa-rule.example"))


def _enrolled(slug, email):
    from agency.team import twofactor

    with tenant_context(Agency.objects.get(slug=slug)):
        return twofactor.is_enrolled(User.objects.get(email=email))
