"""An agency's brand: colours checked for contrast, a logo re-encoded from a checked image."""

import io
import re

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from agency.branding.svg import looks_like_svg, svg_sanitise
from agency.emails import has_control_characters
from agency.team.audit import audit_record

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4096 * 4096
LOGO_BOX = (600, 200)  # stored at most this size
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG AA: white text on the primary colour (buttons); the accent draws lines and marks on white.
MIN_CONTRAST = {"brand_primary": 4.5, "brand_accent": 3.0}
# One-line texts: they go into email headers (sender name, reply-to) and single lines of reports.
ONE_LINE_FIELDS = {
    "name": "the agency name",
    "sender_name": "the sender name",
    "reply_to": "the reply-to address",
    "contact_line": "the contact line",
    "report_footer": "the report footer",
}


def _luminance(hex_color):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_color):
    return 1.05 / (_luminance(hex_color) + 0.05)


def brand_color_check(value, *, minimum):
    if not HEX_COLOR.match(value or ""):
        raise ValidationError("Use a colour like #1f6feb.")
    ratio = contrast_with_white(value)
    if ratio < minimum:
        raise ValidationError(
            f"This colour is hard to read against white (contrast {ratio:.1f}:1, at least {minimum}:1 "
            "is needed). Choose a darker colour."
        )


def logo_process(upload):
    """A checked logo, ready to store; ValidationError says what is wrong.

    PNG and JPEG are re-encoded as PNG, which drops anything but pixels (metadata,
    polyglot tricks); SVG keeps only drawing elements (agency.branding.svg).
    """
    if upload.size > MAX_LOGO_BYTES:
        raise ValidationError(f"The logo is too big ({upload.size // 1024} KB): at most 2 MB.")
    head = upload.read(512)
    upload.seek(0)
    if looks_like_svg(head):
        return ContentFile(svg_sanitise(upload.read()), name="logo.svg")
    try:
        with Image.open(upload) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise ValidationError("Upload a PNG, JPEG or SVG image.")
            if probe.width * probe.height > MAX_LOGO_PIXELS:
                raise ValidationError("The image has too many pixels: at most 4096 × 4096.")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError("This file is not an image we can read: upload a PNG, JPEG or SVG.") from None
    image.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="logo.png")


def branding_update(*, agency, actor, logo_upload=None, remove_logo=False, **fields):
    """Save an agency's brand. Colours must be readable, texts one line; a new logo replaces the old."""
    errors = {
        name: f"Remove the line breaks and other control characters from {label}."
        for name, label in ONE_LINE_FIELDS.items()
        if has_control_characters(fields.get(name))
    }
    if errors:
        raise ValidationError(errors)
    for name, minimum in MIN_CONTRAST.items():
        if name in fields:
            try:
                brand_color_check(fields[name], minimum=minimum)
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from None
    logo = None
    if logo_upload is not None:
        try:
            logo = logo_process(logo_upload)
        except ValidationError as exc:
            raise ValidationError({"logo": exc.messages}) from None
    stored = type(agency).objects.get(pk=agency.pk)  # a model form already set the new values on it
    changed = sorted(name for name, value in fields.items() if getattr(stored, name) != value)
    for name, value in fields.items():
        setattr(agency, name, value)
    if remove_logo or logo is not None:
        agency.logo.delete(save=False)
    if logo is not None:
        agency.logo.save(logo.name, logo, save=False)
    agency.save()
    if logo is not None or remove_logo:
        changed.append("logo")
    audit_record(actor=actor, action="branding.updated", target=agency.name, fields=changed)
    return agency


def logo_bytes(agency):
    """The stored logo as (bytes, mime type), or None when there is none or it cannot be read."""
    if not agency.logo:
        return None
    try:
        with agency.logo.open("rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data, "image/svg+xml" if agency.logo.name.endswith(".svg") else "image/png"
