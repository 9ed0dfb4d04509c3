"""Email sending: each email is a subject/text/html template triplet under templates/emails/."""

import logging
import unicodedata
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
# Line breaks, tabs, zero-width and direction marks: nothing a header may carry.
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def has_control_characters(text):
    return any(unicodedata.category(char) in CONTROL_CATEGORIES for char in text or "")


def _one_line(text):
    """``text`` without control characters or runs of spaces: safe in a header, whatever was stored."""
    kept = "".join(" " if unicodedata.category(char) in CONTROL_CATEGORIES else char for char in text or "")
    return " ".join(kept.split())[:80]


def email_sender(agency):
    """``"Agency name" <DEFAULT_FROM_EMAIL>``: the agency's sender name, else its name, else ours."""
    name = (_one_line(agency.sender_name) or _one_line(agency.name)) if agency is not None else ""
    return formataddr((name, settings.DEFAULT_FROM_EMAIL)) if name else settings.DEFAULT_FROM_EMAIL


def email_reply_to(agency):
    """The agency's reply-to address as a list, or None when there is none or it is unusable."""
    address = (agency.reply_to or "").strip() if agency is not None else ""
    if not address or has_control_characters(address):
        return None
    try:
        validate_email(address)
        sanitize_address(address, "utf-8")
    except (ValidationError, ValueError, UnicodeError):
        logger.warning("reply-to of agency %s is unusable; sent without it", agency.pk)
        return None
    return [address]


def email_send(*, template, to, context, agency=None, reply_to=None, attachments=()):
    """Render ``emails/<template>-subject.txt``, ``-body.txt`` and ``-body.html`` and send.

    Sent in the agency's name, with its reply-to address (white-label), when there is one. Whatever
    branding an agency has stored, sending never fails because of it: unusable parts are left out.
    """
    context = {"agency": agency, **context}
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    reply_to = reply_to or email_reply_to(agency)
    message = EmailMultiAlternatives(
        subject, text, email_sender(agency), list(to), reply_to=list(reply_to) if reply_to else None
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
