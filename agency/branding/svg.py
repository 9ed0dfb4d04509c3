"""SVG logos, sanitised: only drawing elements and presentation attributes survive.

No scripts, no event handlers, no external references (href, url() to anything but
a local #id), no foreign objects, no DTD or entities. What is left is re-serialised.
"""

import re
import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError

SVG_NS = "http://www.w3.org/2000/svg"
ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
    "defs", "linearGradient", "radialGradient", "stop", "clipPath", "title", "desc",
}  # fmt: skip
ATTRIBUTES = {
    "id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
    "viewBox", "points", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-dasharray", "opacity", "fill-opacity", "stroke-opacity", "fill-rule",
    "clip-rule", "clip-path", "transform", "offset", "stop-color", "stop-opacity", "gradientUnits",
    "gradientTransform", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "preserveAspectRatio", "version", "dx", "dy",
}  # fmt: skip
UNSAFE_VALUE = re.compile(r"url\(\s*(?!['\"]?#)|javascript:|data:|expression\(|@import", re.IGNORECASE)


def _local(tag):
    return tag.split("}", 1)[-1]


def _clean(element):
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in ELEMENTS:
            element.remove(child)
        else:
            _clean(child)
    for name in list(element.attrib):
        value = element.attrib[name]
        if _local(name) not in ATTRIBUTES or "}" in name or UNSAFE_VALUE.search(value):
            del element.attrib[name]


def svg_sanitise(data):
    """The sanitised SVG (bytes), or ValidationError when it is not a usable SVG document."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise ValidationError("This SVG declares a DTD or entities: export it again as plain SVG.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD or entities can be in it (checked above)
    except ET.ParseError:
        raise ValidationError("This SVG file cannot be read.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValidationError("This file is not an SVG image.")
    _clean(root)
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)
