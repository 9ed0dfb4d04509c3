"""Branding settings (owners and admins), and the logo and favicon every page of the domain shows."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from PIL import Image

from agency.branding import pending
from agency.branding.forms import BrandingForm
from agency.branding.services import branding_update, logo_bytes
from agency.formerrors import form_errors_add
from agency.team.access import manager_required


@manager_required
def branding(request):
    agency = connection.tenant
    form = BrandingForm(request.POST or None, request.FILES or None, instance=agency)
    if request.method == "GET":
        pending.logo_forget(request)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in BrandingForm.Meta.fields}
        remove = form.cleaned_data["remove_logo"]
        upload = form.cleaned_data["logo_upload"] or (None if remove else pending.logo_kept(request))
        try:
            branding_update(agency=agency, actor=request.user, logo_upload=upload, remove_logo=remove,
                            **fields)  # fmt: skip
        except ValidationError as exc:
            agency.refresh_from_db()
            form_errors_add(form, exc, field_map={"logo": "logo_upload"})
        else:
            pending.logo_forget(request)
            messages.success(request, "Your branding was saved.")
            return redirect("branding")
    if request.method == "POST":
        pending.logo_offer(request, form)
    return render(request, "agency/branding.html", {"form": form})


@cache_control(max_age=300)
def logo(request):
    stored = logo_bytes(connection.tenant)
    if stored is None:
        raise Http404("No logo.")
    response = HttpResponse(stored[0], content_type=stored[1])
    # Opened on its own, an image may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@cache_control(max_age=86400)
def stylesheet(request):
    """The agency's colours as CSS custom properties: pages link it (a style element would need the
    Content-Security-Policy to allow inline styles). Its URL changes with the colours."""
    agency = connection.tenant
    css = f":root {{ --brand: {agency.brand_primary}; --accent: {agency.brand_accent}; }}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@cache_control(max_age=3600)
def favicon(request):
    """The agency's logo as a square icon; without one, its initial on its colour."""
    agency = connection.tenant
    stored = logo_bytes(agency)
    if stored is not None and stored[1] != "image/png":
        stored = None  # an SVG logo is not rasterised here: the brand colour stands in
    icon = Image.new("RGBA", (64, 64), agency.brand_primary if stored is None else (0, 0, 0, 0))
    if stored is not None:
        with Image.open(io.BytesIO(stored[0])) as image:
            image.thumbnail((64, 64))
            icon.paste(image, ((64 - image.width) // 2, (64 - image.height) // 2))
    out = io.BytesIO()
    icon.save(out, format="PNG")
    return HttpResponse(out.getvalue(), content_type="image/png")
