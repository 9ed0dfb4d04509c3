"""Writes for agencies: provisioning a workspace and its owner."""

import logging

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_domain_name, validate_email
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from agency.models import RESERVED_SLUGS, Agency, Domain, slug_validator
from agency.provisioning import schema_provide
from agency.tasks import spares_refill
from agency.team.models import Role, User

logger = logging.getLogger(__name__)


def agency_default_domain(*, slug):
    return f"{slug}.{settings.PORTAL_DOMAIN}"


def agency_ensure_public_site():
    """The public schema is a tenant too (django-tenants routes by host): the landing site."""
    public, _ = Agency.objects.get_or_create(
        schema_name=get_public_schema_name(), defaults={"name": "Public site", "slug": "public"}
    )
    Domain.objects.get_or_create(
        domain=settings.PORTAL_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )


def agency_validate(*, slug, name, domain, owner_email, owner_password):
    """Check every input of a new agency; raise ValidationError keyed by field."""
    errors = {}
    try:
        slug_validator(slug)
        if slug in RESERVED_SLUGS:
            raise ValidationError(f"“{slug}” is reserved. Please choose another name for your address.")
        if Agency.objects.filter(slug=slug).exists():
            raise ValidationError(f"“{slug}” is already taken.")
    except ValidationError as exc:
        errors["slug"] = exc.messages
    if not name.strip():
        errors["name"] = ["Enter your agency's name."]
    try:
        validate_domain_name(domain)
        if domain == settings.PORTAL_DOMAIN or Domain.objects.filter(domain=domain).exists():
            raise ValidationError(f"The domain “{domain}” is already in use.")
    except ValidationError as exc:
        errors["domain"] = exc.messages
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = ["Enter a valid email address."]
    try:
        validate_password(owner_password, user=User(email=owner_email))
    except ValidationError as exc:
        errors["owner_password"] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def agency_create(*, slug, name, owner_email, owner_password, domain=None, owner_name=""):
    """Create an agency: its row, its schema, its domain and owner.

    The schema is a spare from the pool, renamed (agency.provisioning), or, with the pool
    empty, a copy of the template. Everything happens in one transaction (PostgreSQL DDL is
    transactional), so a failure at any step leaves no agency row, domain or schema behind, and
    a claimed spare goes back to the pool.
    """
    domain = (domain or agency_default_domain(slug=slug)).lower()
    agency_validate(
        slug=slug, name=name, domain=domain, owner_email=owner_email, owner_password=owner_password
    )
    # Hashed first: the spare pool's lock is then held for a few milliseconds only.
    password_hash = make_password(owner_password)
    agency = Agency(slug=slug, name=name.strip(), schema_name=Agency.schema_name_for(slug))
    agency.auto_create_schema = False  # provided below, from the pool
    agency.save(verbosity=0)
    how = schema_provide(schema_name=agency.schema_name)
    Domain.objects.create(tenant=agency, domain=domain, is_primary=True)
    with schema_context(agency.schema_name):
        owner = User.objects.create_user(owner_email, None, full_name=owner_name, role=Role.OWNER)
        User.objects.filter(pk=owner.pk).update(password=password_hash)
    transaction.on_commit(spares_refill.delay, robust=True)
    logger.info("agency created: slug=%s schema=%s (%s)", slug, agency.schema_name, how)
    return agency
