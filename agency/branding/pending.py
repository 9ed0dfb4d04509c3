"""A logo chosen on the branding form survives the form's errors: a browser never fills a file input
again, so a logo that passed its checks is kept in the session until the branding is saved."""

import base64

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from agency.branding.services import logo_process

SESSION_KEY = "branding_pending_logo"
MAX_KEPT_BYTES = 512 * 1024  # the checked logo (at most 600 × 200 pixels); an SVG may be larger
KEPT_HELP = "Kept from your last try: {name}. It is saved with the form unless you choose another file."


def logo_offer(request, form):
    """After a failed save: keep the logo just chosen (when it is one we accept; a refused one
    drops any kept before), and tell on the form which logo will be saved with it."""
    upload = request.FILES.get("logo_upload")
    if request.POST.get("remove_logo"):
        logo_forget(request)
    elif upload is not None:
        logo_forget(request)
        try:
            logo = logo_process(upload)
        except ValidationError:
            return
        data = logo.read()
        if len(data) <= MAX_KEPT_BYTES:
            encoded = base64.b64encode(data).decode("ascii")
            request.session[SESSION_KEY] = {"name": upload.name[:100], "file": logo.name, "data": encoded}
    kept = request.session.get(SESSION_KEY)
    if kept and "logo_upload" in form.fields:
        text = KEPT_HELP.format(name=kept["name"])
        # The bound field copied the help text when the form was validated: change it there too.
        form.fields["logo_upload"].help_text = form["logo_upload"].help_text = text


def logo_kept(request):
    """The kept logo as a file to save, or None."""
    kept = request.session.get(SESSION_KEY)
    return ContentFile(base64.b64decode(kept["data"]), name=kept["file"]) if kept else None


def logo_forget(request):
    request.session.pop(SESSION_KEY, None)
