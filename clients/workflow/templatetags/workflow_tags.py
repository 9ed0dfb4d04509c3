"""Notes as HTML: the text escaped, line breaks kept, and the @mentions of members highlighted."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from clients.workflow.services import MENTION

register = template.Library()


@register.filter
def note_html(note):
    """The note's body, escaped, with each @handle of a mentioned member in <strong>."""
    named = set()
    for user in note.mentions.all():
        email = user.email.lower()
        named |= {email, email.split("@", 1)[0]}

    def highlight(match):
        handle = match.group(1).rstrip(".")
        if handle.lower() not in named:
            return match.group(0)
        return f'<strong class="mention">@{handle}</strong>{match.group(1)[len(handle) :]}'

    # Escaping leaves handles as they were: they hold no character that HTML escapes.
    html = MENTION.sub(highlight, str(escape(note.body)))
    return mark_safe(html.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped above
