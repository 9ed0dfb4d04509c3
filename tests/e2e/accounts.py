"""Signing up in the browser as a new agency does: the form, the email's link, the one button; the
owner lands signed in on their own domain. Shared by the browser tests that start from a sign-up."""

import re
import time
from pathlib import Path

from django.core.cache import cache
from playwright.sync_api import expect

PASSWORD = "Lighthouse-orchid-58"


def signup_counts_clear():
    """The server's sign-up limits (5 an hour per address) count every test run's sign-ups from
    127.0.0.1 in the shared cache: each sign-up of the tests starts from a clean count."""
    redis = cache._cache.get_client(None, write=True)
    for key in redis.scan_iter("*rate:signup*"):
        redis.delete(key)


def mailed_link(mail_dir, email, pattern, seconds=15):
    """The newest link matching ``pattern`` in an email to ``email`` (the server writes emails as files)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sorted(Path(mail_dir).iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text(errors="replace")
            if f"To: {email}" in text and (match := re.search(pattern, text)):
                return match.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no email to {email} with a link like {pattern}")


def sign_up_form(page, port, slug, name, email, password=PASSWORD):
    signup_counts_clear()
    page.goto(f"http://localhost:{port}/signup/")
    page.get_by_label("Agency name").fill(name)
    if slug is not None:
        page.get_by_label("Workspace address").fill(slug)
    page.get_by_label("Your name").fill("Erin Example")
    page.get_by_label("Your work email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Create workspace").click()


def sign_up(page, portal, slug, name):
    """Sign up, open the emailed link, create the workspace: the owner ends signed in on the
    "connect your first client" step of ``slug``'s own domain."""
    port, email = portal["port"], f"erin@{slug}.example"
    sign_up_form(page, port, slug, name, email)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(mailed_link(portal["mail_dir"], email, rf"http://localhost:{port}/signup/verify/[\w-]+/"))
    page.get_by_role("button", name="Create my workspace").click()
    expect(page).to_have_url(f"http://{slug}.localhost:{port}/clients/new/?first=1")
    return email
