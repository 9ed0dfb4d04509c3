"""SVG logos, sanitised: only drawing elements and presentation attributes survive.

Parsed with defusedxml, which refuses any DTD (so no entity, internal or external, whatever the
file's encoding). No scripts, no event handlers, no foreign objects, no styles; an attribute whose
value holds a backslash (a CSS escape such as ``\\75 rl(``), ``url(`` to anything but a local
``#id``, or a script or data scheme is dropped. What is left is re-serialised.
"""

import codecs
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
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
# A reference to a gradient or clip path of the same file: the only url() kept.
LOCAL_URL = re.compile(r"url\(#[A-Za-z_][\w.-]*\)")
UNSAFE_VALUE = re.compile(r"\\|url\s*\(|javascript:|data:|expression\s*\(|@import", re.IGNORECASE)
BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)


def looks_like_svg(head):
    """Do these first bytes of a file start an XML or SVG document (in any encoding XML allows)?"""
    if head.startswith(BOMS) or head[:4] in (b"<\0?\0", b"\0<\0?", b"<\0s\0", b"\0<\0s"):
        return True
    lowered = head.lower()
    return b"<svg" in lowered or b"<?xml" in lowered


def _unsafe(value):
    return UNSAFE_VALUE.search(LOCAL_URL.sub("", value)) is not None


def _local(tag):
    return tag.split("}", 1)[-1]


def _clean(element):
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in ELEMENTS:
            element.remove(child)
        else:
            _clean(child)
    for name in list(element.attrib):
        if _local(name) not in ATTRIBUTES or "}" in name or _unsafe(element.attrib[name]):
            del element.attrib[name]


def svg_sanitise(data):
    """The sanitised SVG (bytes), or ValidationError when it is not a usable SVG document."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ValidationError("This SVG declares a DTD or entities: export it again as plain SVG.") from None
    except (ET.ParseError, ValueError):
        raise ValidationError("This SVG file cannot be read.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ValidationError("This file is not an SVG image.")
    _clean(root)
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)
