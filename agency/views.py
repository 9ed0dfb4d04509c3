from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from agency.formerrors import form_errors_add
from agency.forms import SIGNUP_FIELDS, SignupForm
from agency.services import agency_create
from agency.urlbuilders import agency_url


def landing(request):
    return render(request, "public/landing.html")


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agency = agency_create(
                slug=data["slug"],
                name=data["name"],
                owner_email=data["owner_email"],
                owner_password=data["password1"],
                owner_name=data["owner_name"],
            )
        except ValidationError as exc:  # lost a race for the same slug or domain
            form_errors_add(form, exc, field_map=SIGNUP_FIELDS)
        else:
            return redirect(agency_url(agency, "login") + "?welcome=1")
    return render(request, "public/signup.html", {"form": form})
