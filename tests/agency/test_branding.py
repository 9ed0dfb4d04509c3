"""Branding: colours, logo, sender; shown on pages, favicon, emails and reports."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from agency.branding.services import logo_bytes
from agency.models import Agency
from agency.team.models import Role
from tests.conftest import host_client


def image_file(fmt="PNG", size=(300, 120), name="logo.png"):
    out = io.BytesIO()
    Image.new("RGB", size, (20, 60, 160)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


FORM = {
    "name": "Alpha Agency", "brand_primary": "#1f4e9c", "brand_accent": "#b34700",
    "sender_name": "Alpha Team", "reply_to": "hello@alpha.example",
    "contact_line": "+1 555 0100", "report_footer": "Thanks!",
}  # fmt: skip


def test_owner_brands_the_portal_with_a_logo(agency, owner):
    web = host_client(agency, user=owner)

    response = web.post("/settings/branding/", {**FORM, "logo_upload": image_file(size=(1200, 400))})

    assert response.status_code == 302
    agency.refresh_from_db()
    assert (agency.brand_primary, agency.sender_name) == ("#1f4e9c", "Alpha Team")
    logo = web.get("/branding/logo.png")
    assert logo["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(logo.content)) as stored:
        assert stored.size == (600, 200)  # re-encoded, scaled into the box
    page = web.get("/").content.decode()
    assert 'href="/branding/colours.css?v=1f4e9cb34700"' in page  # a new address for new colours
    assert "--brand: #1f4e9c" in web.get("/branding/colours.css").content.decode()
    assert 'src="/branding/logo.png"' in page
    favicon = host_client(agency).get("/favicon.ico")
    assert (favicon.status_code, favicon["Content-Type"]) == (200, "image/png")


def test_jpeg_is_accepted_and_stored_as_png(agency, owner):
    host_client(agency, user=owner).post("/settings/branding/", {**FORM, "logo_upload": image_file("JPEG")})

    agency.refresh_from_db()
    assert agency.logo.name.endswith(".png")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("logo.svg", b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>'),
         "declares a DTD or entities"),
        (SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect'), "cannot be read"),
        (SimpleUploadedFile("logo.png", b"this is not an image"), "not an image we can read"),
        (SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 1)), "too big"),
        (image_file("GIF", name="logo.gif"), "Upload a PNG, JPEG or SVG"),
    ],
)  # fmt: skip
def test_bad_logos_are_refused_and_nothing_is_saved(agency, owner, upload, message):
    response = host_client(agency, user=owner).post("/settings/branding/", {**FORM, "logo_upload": upload})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["logo_upload"])
    agency.refresh_from_db()
    assert (agency.logo.name, agency.brand_primary) == ("", "#3b5bdb")


@pytest.mark.parametrize(("color", "message"), [("#ffee00", "hard to read"), ("blue", "like #1f6feb")])
def test_unreadable_or_malformed_colours_are_refused(agency, owner, color, message):
    response = host_client(agency, user=owner).post("/settings/branding/", {**FORM, "brand_primary": color})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["brand_primary"])


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_only_owners_and_admins_change_branding(agency, make_user, role):
    assert host_client(agency, user=make_user(role)).post("/settings/branding/", FORM).status_code == 403


def test_emails_go_out_in_the_agency_name_with_its_reply_to(
    agency, owner, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=owner)
    web.post("/settings/branding/", FORM)

    with django_capture_on_commit_callbacks(execute=True):
        web.post("/team/", {"email": "new@alpha.test", "role": Role.STAFF})

    message = mail.outbox[-1]
    assert message.from_email.startswith("Alpha Team <")
    assert message.reply_to == ["hello@alpha.example"]


def test_a_broken_logo_falls_back_to_the_name(agency, owner):
    connection.set_tenant(agency)
    Agency.objects.filter(pk=agency.pk).update(logo="branding/gone.png")

    assert logo_bytes(Agency.objects.get(pk=agency.pk)) is None
    assert host_client(agency).get("/branding/logo.png").status_code == 404


EVIL_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><foreignObject><iframe src="https://evil.example"/></foreignObject>
  <a xlink:href="javascript:alert(3)"><rect width="10" height="10" fill="url(https://evil.example/x)"/></a>
  <image href="file:///etc/passwd"/><circle cx="5" cy="5" r="4" fill="#1f4e9c" style="x"/></svg>"""


def test_an_svg_logo_keeps_only_its_drawing(agency, owner):
    web = host_client(agency, user=owner)

    web.post("/settings/branding/", {**FORM, "logo_upload": SimpleUploadedFile("logo.svg", EVIL_SVG)})

    response = web.get("/branding/logo.png")
    svg = response.content.decode()
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert '<circle cx="5" cy="5" r="4" fill="#1f4e9c"' in svg
    for gone in (
        "script",
        "onload",
        "foreignObject",
        "iframe",
        "javascript",
        "evil.example",
        "passwd",
        "style",
    ):
        assert gone not in svg
