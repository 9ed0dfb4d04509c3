"""PulseBack's feedback sources as a reader names them ("QR code", not ``qr_code``): in the portal
and, translated, in reports. An unknown code is humanised rather than shown raw."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# PulseBack's source codes, as a reader would name them. Unknown codes are humanised.
SOURCE_NAMES = {
    "widget": gettext_lazy("Website widget"),
    "qr": gettext_lazy("QR code"),
    "qr_code": gettext_lazy("QR code"),
    "pos_integration": gettext_lazy("Point of sale"),
    "toast_integration": gettext_lazy("Toast (point of sale)"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
    "sms": gettext_lazy("Text message"),
    "kiosk": gettext_lazy("Kiosk"),
    "api": gettext_lazy("Direct integration"),
    "google": "Google",
    "facebook": "Facebook",
    "tripadvisor": "Tripadvisor",
}


def humanise(code):
    """``pos_integration`` → ``Pos integration``: an unknown code, readable."""
    words = re.sub(r"[_\-.]+", " ", str(code)).strip()
    return words[:1].upper() + words[1:] if words else _("Unknown")


def source_name(code):
    if not code:
        return _("Unknown")
    name = SOURCE_NAMES.get(str(code).lower())
    return str(name) if name is not None else humanise(code)
