"""The branding form keeps a chosen logo through a validation error (a browser never fills a file
input again), and shows colour swatches."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import host_client

FORM = {"name": "Alpha Agency", "brand_primary": "#1f4e9c", "brand_accent": "#b34700", "sender_name": "Alpha",
        "reply_to": "", "contact_line": "", "report_footer": ""}  # fmt: skip


def png(name="our-logo.png"):
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 60, 160)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_a_logo_survives_a_validation_error(agency, owner):
    web = host_client(agency, user=owner)

    refused = web.post("/settings/branding/", {**FORM, "brand_primary": "#ffff00", "logo_upload": png()})
    saved = web.post("/settings/branding/", FORM)

    assert refused.status_code == 200
    assert "hard to read against white" in refused.content.decode()
    assert "Kept from your last try: our-logo.png" in refused.content.decode()
    assert saved.status_code == 302
    agency.refresh_from_db()
    assert agency.logo.name.endswith(".png") and agency.brand_primary == "#1f4e9c"


def test_a_kept_logo_is_dropped_when_the_page_is_left(agency, owner):
    web = host_client(agency, user=owner)
    web.post("/settings/branding/", {**FORM, "brand_primary": "#ffff00", "logo_upload": png()})

    web.get("/settings/branding/")
    web.post("/settings/branding/", FORM)

    agency.refresh_from_db()
    assert not agency.logo


def test_a_refused_file_is_not_kept(agency, owner):
    web = host_client(agency, user=owner)
    not_an_image = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")

    refused = web.post("/settings/branding/", {**FORM, "logo_upload": not_an_image})
    web.post("/settings/branding/", FORM)

    assert "Kept from your last try" not in refused.content.decode()
    agency.refresh_from_db()
    assert not agency.logo


def test_removing_the_logo_drops_a_kept_one(agency, owner):
    web = host_client(agency, user=owner)
    web.post("/settings/branding/", {**FORM, "brand_primary": "#ffff00", "logo_upload": png()})

    web.post("/settings/branding/", {**FORM, "remove_logo": "on"})

    agency.refresh_from_db()
    assert not agency.logo


def test_colour_inputs_are_swatches(agency, owner):
    page = host_client(agency, user=owner).get("/settings/branding/").content.decode()

    assert 'type="color"' in page and 'value="#3b5bdb"' in page
