"""Absolute URLs on an agency's own domain (for redirects from the public site and for emails)."""

from django.conf import settings
from django.urls import reverse


def agency_base_url(agency):
    domain = agency.get_primary_domain().domain
    port = f":{settings.PORTAL_PORT}" if settings.PORTAL_PORT else ""
    return f"{settings.PORTAL_SCHEME}://{domain}{port}"


def agency_url(agency, view_name, *args):
    return agency_base_url(agency) + reverse(view_name, args=args, urlconf=settings.ROOT_URLCONF)
