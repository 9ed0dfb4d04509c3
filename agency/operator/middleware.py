"""A suspended agency's domains show its users a branded notice, and nothing else."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

# Pages a suspended agency's notice itself needs.
ALLOWED_VIEWS = frozenset({"favicon", "brand_logo", "brand_stylesheet"})
MACHINE_PREFIXES = ("/api/", "/hooks/")


def suspension_message(agency):
    return (
        f"{agency.name}'s workspace is suspended. Nothing has been deleted: everything comes back when "
        f"it is resumed. To resume it, contact {settings.PLATFORM_CONTACT}."
    )


class SuspensionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        agency = getattr(request, "tenant", None)
        if agency is None or getattr(agency, "suspended_at", None) is None or self._allowed(request):
            return self.get_response(request)
        message = suspension_message(agency)
        if request.path.startswith(MACHINE_PREFIXES):
            return JsonResponse({"message": message}, status=403)
        return render(request, "suspended.html", {"agency": agency, "message": message}, status=403)

    @staticmethod
    def _allowed(request):
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return match.url_name in ALLOWED_VIEWS
