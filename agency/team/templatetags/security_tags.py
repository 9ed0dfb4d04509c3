import re

from django import template

register = template.Library()

BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Version/", "Safari"))  # fmt: skip
SYSTEMS = (("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


@register.filter
def browser_name(user_agent):
    """ "Chrome 156 on Linux" from a User-Agent header; the header itself when it is not a browser's."""
    user_agent = user_agent or ""
    browser = next(((name, token) for token, name in BROWSERS if token in user_agent), None)
    system = next((name for token, name in SYSTEMS if token in user_agent), None)
    if browser is None:
        return user_agent[:60] or "—"
    version = re.search(re.escape(browser[1]) + r"(\d+)", user_agent)
    label = f"{browser[0]} {version.group(1)}" if version else browser[0]
    return f"{label} on {system}" if system else label


@register.filter
def in_groups(text, size=4):
    """A key to type by hand, in groups of four: "MIBO W6EU 2PVM"."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))
