"""A report's words and figures in its reader's language: dates, numbers, percentages, names.

Every function formats for the active language (``translation.override(report.language)``
around rendering). Django's locale formats give the decimal and thousands separators and the
month names; the date patterns and the percent sign's spacing are ours, per language.
"""

import unicodedata

from django.utils import dateformat, formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Long dates, short dates (chart ticks), months. Django's own DATE_FORMAT abbreviates in English.
DATE_PATTERNS = {
    "en": {"long": "F j, Y", "short": "M j", "month": "M Y", "day_month": "F j"},
    "fr": {"long": "j F Y", "short": "j N", "month": "N Y", "day_month": "j F"},
    "de": {"long": "j. F Y", "short": "j. N", "month": "N Y", "day_month": "j. F"},
    "es": {"long": r"j \d\e F \d\e Y", "short": "j N", "month": "N Y", "day_month": r"j \d\e F"},
}
# French, German and Spanish put a (non-breaking) space before the percent sign.
PERCENT_PATTERNS = {"en": "{}%", "fr": "{}\u202f%", "de": "{}\u00a0%", "es": "{}\u00a0%"}
MINUS = "\u2212"

# PulseBack's usual themes, translated; any other theme is shown as PulseBack wrote it.
THEME_NAMES = {
    "service": gettext_lazy("service"),
    "staff": gettext_lazy("staff"),
    "wait time": gettext_lazy("wait time"),
    "price": gettext_lazy("price"),
    "cleanliness": gettext_lazy("cleanliness"),
    "parking": gettext_lazy("parking"),
    "food quality": gettext_lazy("food quality"),
    "ambience": gettext_lazy("ambience"),
    "portion size": gettext_lazy("portion size"),
    "drinks": gettext_lazy("drinks"),
    "menu variety": gettext_lazy("menu variety"),
    "noise": gettext_lazy("noise"),
    "room": gettext_lazy("room"),
    "breakfast": gettext_lazy("breakfast"),
    "location": gettext_lazy("location"),
    "check-in": gettext_lazy("check-in"),
    "wifi": gettext_lazy("wifi"),
    "booking": gettext_lazy("booking"),
    "value": gettext_lazy("value"),
    "quality": gettext_lazy("quality"),
}


def _language():
    return (translation.get_language() or "en").split("-")[0]


def date_text(day, style="long"):
    """A date as a reader of the active language writes it (``long``, ``short``, ``month``)."""
    patterns = DATE_PATTERNS.get(_language(), DATE_PATTERNS["en"])
    return dateformat.format(day, patterns[style])


# A range within one month: "September 1 – 30, 2026", "1 – 30 septembre 2026"...
MONTH_RANGES = {
    "en": "{month} {first} – {last}, {year}",
    "fr": "{first} – {last} {month} {year}",
    "de": "{first}. – {last}. {month} {year}",
    "es": "{first} – {last} de {month} de {year}",
}


def period_text(first_day, last_day):
    """A period as a reader writes it, without repeating what both ends share."""
    if (first_day.year, first_day.month) == (last_day.year, last_day.month) and first_day != last_day:
        pattern = MONTH_RANGES.get(_language(), MONTH_RANGES["en"])
        month = dateformat.format(first_day, "F")
        return pattern.format(month=month, first=first_day.day, last=last_day.day, year=first_day.year)
    if first_day.year == last_day.year:
        return f"{date_text(first_day, 'day_month')} – {date_text(last_day)}"
    return f"{date_text(first_day)} – {date_text(last_day)}"


def number(value, digits=0):
    """A number with the locale's decimal and thousands separators; a real minus sign."""
    if value is None:
        return "—"
    text = formats.number_format(round(value, digits), digits, use_l10n=True, force_grouping=True)
    return text.replace("-", MINUS)


def signed(value, digits=2):
    if value is None:
        return "—"
    if round(value, digits) == 0:
        return "±" + number(0, digits)
    return ("+" if value > 0 else "") + number(value, digits)


def percent(share, digits=0):
    """A share (0.42) as a percentage (42 %, in the locale's way)."""
    if share is None:
        return "—"
    pattern = PERCENT_PATTERNS.get(_language(), PERCENT_PATTERNS["en"])
    return pattern.format(number(share * 100, digits))


def points(delta, digits=0):
    """A change of a share, in percentage points (+4 pts)."""
    if delta is None:
        return "—"
    return _("%(points)s pts") % {"points": signed(delta * 100, digits)}


def stars(value):
    return "—" if value is None else f"{number(value, 2)}\u00a0★"


def theme_name(value):
    if not value:
        return _("Unknown")
    name = THEME_NAMES.get(str(value).lower())
    text = str(name) if name is not None else str(value)
    return text[:1].upper() + text[1:]


def direction(text):
    """``rtl`` when the text's first strong character is Arabic or Hebrew, else ``ltr``."""
    for char in text or "":
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def script_lang(text):
    """The CJK language a text is in (``ja``, ``ko``, ``zh``), so each prints in its own glyph forms."""
    has_han = False
    for char in text or "":
        code = ord(char)
        if 0x3040 <= code <= 0x30FF:  # hiragana, katakana
            return "ja"
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:  # hangul
            return "ko"
        has_han = has_han or 0x4E00 <= code <= 0x9FFF
    return "zh" if has_han else ""
