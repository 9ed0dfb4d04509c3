"""Branding values that could break email headers are refused, sending never fails on whatever is
stored, and SVG logos are parsed with defusedxml (no DTD, no entity, no escaped url())."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from agency.branding.svg import svg_sanitise
from agency.emails import email_send
from agency.models import Agency
from tests.conftest import host_client

FORM = {
    "name": "Alpha Agency", "brand_primary": "#1f4e9c", "brand_accent": "#b34700",
    "sender_name": "Alpha Team", "reply_to": "hello@alpha.example",
    "contact_line": "+1 555 0100", "report_footer": "Thanks!",
}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender_name", "Alpha\r\nBcc: victim@example.com"),
        ("sender_name", "Alpha\u2028Team"),
        ("sender_name", "Alpha\x0bTeam"),
        ("name", "Alpha\nAgency"),
        ("contact_line", "call\tus"),
    ],
)
def test_control_characters_are_refused_with_a_message(agency, owner, field, value):
    answer = host_client(agency, user=owner).post("/settings/branding/", {**FORM, field: value})

    assert answer.status_code == 200
    errors = " ".join(answer.context["form"].errors[field])
    assert "Remove the line breaks and other control characters" in errors
    assert Agency.objects.get(pk=agency.pk).sender_name == ""


def test_a_reply_to_with_a_line_break_is_refused(agency, owner):
    answer = host_client(agency, user=owner).post(
        "/settings/branding/", {**FORM, "reply_to": "a@alpha.example\r\nBcc: b@evil.example"}
    )

    assert answer.context["form"].errors["reply_to"]
    assert Agency.objects.get(pk=agency.pk).reply_to == ""


@pytest.mark.parametrize(
    ("sender_name", "name", "reply_to"),
    [
        ("Alpha\r\nBcc: victim@example.com", "Alpha", "ok@alpha.example"),
        ("", "Alpha\nAgency", "ok@alpha.example"),
        ("\u2028\x0b", "\r\n", "not an address"),
        ("Ünïcødé “Agency”, Ltd.", "Alpha", "x@\u2028evil.example"),
        ("A\u202e" * 40, "Alpha", "a\r\nb@alpha.example"),
    ],
)
def test_sending_never_fails_whatever_branding_is_stored(agency, sender_name, name, reply_to):
    Agency.objects.filter(pk=agency.pk).update(sender_name=sender_name, name=name, reply_to=reply_to)
    stored = Agency.objects.get(pk=agency.pk)

    email_send(template="password-reset", to=["someone@alpha.test"], agency=stored,
               context={"email": "someone@alpha.test", "protocol": "http", "domain": "alpha.localhost",
                        "uid": "MQ", "token": "x-y"})  # fmt: skip

    (message,) = mail.outbox
    header = message.message()["From"]
    assert "\n" not in header and "\r" not in header
    assert message.reply_to in ([], ["ok@alpha.example"])


def test_password_reset_still_works_with_a_broken_sender_name(agency, owner):
    Agency.objects.filter(pk=agency.pk).update(sender_name="Alpha\r\nBcc: victim@example.com")

    answer = host_client(agency).post("/password-reset/", {"email": owner.email})

    assert answer.status_code == 302
    message = mail.outbox[-1].message()
    assert message["Bcc"] is None and "\n" not in message["From"]


UTF16_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY boom "ha">]>'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&boom;</text></svg>'
).encode("utf-16")


def test_an_entity_in_a_utf16_file_is_refused(agency, owner):
    answer = host_client(agency, user=owner).post(
        "/settings/branding/", {**FORM, "logo_upload": SimpleUploadedFile("logo.svg", UTF16_ENTITY)}
    )

    assert "declares a DTD or entities" in " ".join(answer.context["form"].errors["logo_upload"])


@pytest.mark.parametrize(
    "value",
    [
        r"\75 rl(https://evil.example/x)",
        r"u\72 l(https://evil.example/x)",
        "\\000075rl(//evil.example)",
        "URL( 'https://evil.example' )",
        "url(data:image/png;base64,AAAA)",
        "url(#a) url(https://evil.example)",
    ],
)
def test_escaped_or_outside_urls_in_attributes_are_dropped(value):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" fill="{value}"/></svg>'.encode()

    cleaned = svg_sanitise(svg).decode()

    assert "fill" not in cleaned and "evil" not in cleaned and "\\" not in cleaned
    assert '<rect width="1"' in cleaned


def test_a_character_reference_cannot_smuggle_an_escape():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="&#92;75 rl(https://evil.example)"/></svg>'

    assert "evil" not in svg_sanitise(svg).decode()


def test_local_gradients_keep_working():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"><stop offset="0" '
        b'stop-color="#fff"/></linearGradient></defs><rect fill="url(#g)" width="4" height="4"/></svg>'
    )

    assert 'fill="url(#g)"' in svg_sanitise(svg).decode()
