"""The Content-Security-Policy in a real browser: the main pages, the front door's and the API's
documentation render without a single violation (no inline script, handler or style is blocked)."""

from tests.e2e.conftest import log_in
from tests.e2e.test_two_factor import new_agency

PAGES = [
    "/", "/clients/new/?first=1", "/feedback/", "/alerts/", "/team/", "/settings/branding/",
    "/settings/security/", "/settings/security/two-factor/", "/settings/api-tokens/", "/settings/audit/",
    "/api/v1/docs", "/api/v1/redoc",
]  # fmt: skip


def test_no_page_breaks_the_policy(portal, page):
    port, slug = portal["port"], "e2e-csp"
    owner = new_agency(slug)
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)  # fmt: skip
    for path in ("/login/", "/password-reset/"):
        page.goto(f"http://{slug}.localhost:{port}{path}")
    page.goto(f"http://localhost:{port}/signup/")
    page.goto(f"http://{slug}.localhost:{port}/login/")
    log_in(page, owner)

    for path in PAGES:
        page.goto(f"http://{slug}.localhost:{port}{path}")
        page.wait_for_load_state("networkidle")

    # Redoc's "powered by" logo comes from its CDN: refused on purpose, the docs stay offline.
    assert [text for text in violations if "https://cdn.redoc.ly/" not in text] == []
