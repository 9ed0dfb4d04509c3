"""Email sending: each email is a subject/text/html template triplet under templates/emails/."""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_send(*, template, to, context, agency=None, reply_to=None, attachments=()):
    """Render ``emails/<template>-subject.txt``, ``-body.txt`` and ``-body.html`` and send.

    Sent in the agency's name, with its reply-to address (white-label), when there is one.
    """
    context = {"agency": agency, **context}
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    sender = settings.DEFAULT_FROM_EMAIL
    if agency is not None:
        sender = formataddr((agency.sender_name or agency.name, settings.DEFAULT_FROM_EMAIL))
        reply_to = reply_to or ([agency.reply_to] if agency.reply_to else None)
    message = EmailMultiAlternatives(
        subject, text, sender, list(to), reply_to=list(reply_to) if reply_to else None
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
