"""The agency's own words (commentary, introduction, closing): plain text with paragraphs and lists.

Two allow-lists, one after the other:

1. markdown-it-py parses with the ``zero`` preset (nothing enabled) plus the few constructs an
   agency needs: paragraphs, bulleted and numbered lists, bold, italics, line breaks. Raw HTML is
   off, so ``<script>`` and the like come out as the literal text a person typed; links and
   images are not enabled, so a report never points anywhere.
2. nh3 (the Rust ``ammonia`` sanitiser) keeps only the tags those constructs produce, with no
   attributes but a list's ``start``: a second net if the parser's configuration ever changed.
"""

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "ul", "ol", "li", "em", "strong", "br"}
_parser = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["paragraph", "list", "emphasis", "newline", "escape", "text"]
)


def markdown_html(text):
    """Safe HTML for the agency's Markdown; an empty string stays empty."""
    if not (text or "").strip():
        return mark_safe("")  # noqa: S308 - empty
    html = _parser.render(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"ol": {"start"}}, link_rel=None)
    return mark_safe(clean)  # noqa: S308 - sanitised just above to the allow-list
