"""Every page is reachable from the navigation, the current section is marked, each kind of member
sees the links that concern them, and pages carry no inline script or style (for the CSP)."""

import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from agency.team.models import Role
from tests.conftest import host_client
from tests.factories import ClientFactory, LocationFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SECTIONS = (
    "/", "/locations/", "/feedback/", "/alerts/", "/reports/queue/", "/team/", "/settings/branding/",
    "/groups/", "/clients/import/", "/settings/alerts/", "/settings/audit/", "/settings/api-tokens/",
)  # fmt: skip


def _url(name):
    """The page's address, or None while it is not built (the security page)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def nav(response):
    content = response.content.decode()
    start = content.index('<nav id="site-nav"')
    return content[start : content.index("</nav>", start)]


def test_a_manager_reaches_every_section(agency, owner):
    links = nav(host_client(agency, user=owner).get("/"))

    for href in SECTIONS:
        assert f'href="{href}"' in links, href
    assert "Log out" in links


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "Overview"),
        ("/locations/", "Locations"),
        ("/feedback/", "Feedback"),
        ("/groups/", "Client groups"),
        ("/settings/audit/", "Audit log"),
        ("/settings/api-tokens/", "API tokens"),
    ],
)
def test_the_current_section_is_marked(agency, owner, path, current):
    links = nav(host_client(agency, user=owner).get(path))

    assert re.findall(r'aria-current="page">([^<]+)<', links) == [current]


def test_a_clients_pages_belong_to_the_overview(agency, owner):
    location = LocationFactory()

    links = nav(host_client(agency, user=owner).get(f"/clients/{location.client_id}/"))

    assert re.findall(r'aria-current="page">([^<]+)<', links) == ["Overview"]


def test_a_settings_page_marks_its_menu(agency, owner):
    links = nav(host_client(agency, user=owner).get("/team/"))

    assert '<summary class="current">Settings</summary>' in links


def test_staff_see_no_settings(agency, make_user):
    links = nav(host_client(agency, user=make_user(Role.STAFF)).get("/"))

    assert 'href="/locations/"' in links and 'href="/feedback/"' in links
    assert "Settings" not in links and 'href="/team/"' not in links and 'href="/reports/queue/"' not in links


def test_a_business_owner_sees_their_dashboard_and_feedback_only(agency, viewer_of):
    client = ClientFactory(name="Bistro Verde")
    response = host_client(agency, user=viewer_of(client)).get(f"/clients/{client.pk}/")

    links = nav(response)
    account = [url for url in (_url("account_security"), "/settings/api-tokens/") if url]
    assert re.findall(r'<a href="([^"]+)"', links) == ["/", "/feedback/", *account]
    assert 'aria-current="page">Dashboard<' in links


def test_the_agencys_colours_come_from_its_own_stylesheet(agency, owner):
    agency.brand_primary, agency.brand_accent = "#1f4e9c", "#b34700"
    agency.save()
    web = host_client(agency)

    page = web.get("/login/").content.decode()
    sheet = web.get("/branding/colours.css")

    assert 'href="/branding/colours.css?v=1f4e9cb34700"' in page
    assert sheet["Content-Type"] == "text/css; charset=utf-8"
    assert sheet.content.decode() == ":root { --brand: #1f4e9c; --accent: #b34700; }\n"


# The portal's pages (the inbox, feedback and sync status templates are tested where they live).
PAGES = [TEMPLATES / "base.html", TEMPLATES / "team/client_viewers.html"] + [
    path
    for path in sorted((TEMPLATES / "portal").glob("*.html"))
    if path.name not in {"inbox.html", "feedback_detail.html", "_sync_status.html"}
]


@pytest.mark.parametrize("template", PAGES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_inline_script_handler_or_style(template):
    text = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert not re.search(r"\sstyle=|<style", text), "inline style"
