"""The public site: landing page, and sign-up with a verified email (agency/signup.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from agency import signup
from agency.forms import HONEYPOT, SignupForm
from agency.team.clientaddr import client_address


def landing(request):
    return render(request, "public/landing.html")


@sensitive_post_parameters("password1", "password2")
def signup_view(request):
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form.is_bot:
            form.add_error(
                None, "This form could not be sent: the field “Leave this field empty” must stay empty."
            )
            status = 400
        else:
            try:
                signup.signup_request(
                    name=data["name"],
                    slug=data["slug"],
                    owner_name=data["owner_name"],
                    owner_email=data["owner_email"],
                    password=data["password1"],
                    address=client_address(request),
                )
            except signup.SignupRefused as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                return render(request, "public/signup_sent.html", {"email": data["owner_email"]})
    context = {"form": form, "honeypot": HONEYPOT, "portal_domain": settings.PORTAL_DOMAIN}
    return render(request, "public/signup.html", context, status=status)


@never_cache
def signup_verify(request, token):
    """The link of the email: a page with one button (mail scanners open links, they do not post)."""
    pending = signup.signup_pending(token=token)
    if pending is None:
        return render(request, "public/signup_invalid.html", status=404)
    if request.method == "POST":
        try:
            return redirect(signup.signup_confirm(token=token))
        except ValidationError as exc:
            return render(
                request, "public/signup_invalid.html", {"problem": " ".join(exc.messages)}, status=409
            )
    origin = signup.workspace_origin(slug=pending["slug"])
    response = render(request, "public/signup_verify.html", {"pending": pending, "origin": origin})
    # The button's answer redirects to the new workspace's domain: this form may go there.
    response._csp_update = {"form-action": [origin]}
    return response
