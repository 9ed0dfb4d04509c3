"""Agencies (tenants) and their domains. These tables live in the public schema."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django_tenants.clone import CloneSchema
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "billing", "blog", "cdn", "dashboard", "dev",
        "docs", "help", "healthz", "mail", "media", "portal", "public", "root", "sandbox",
        "signup", "smtp", "static", "status", "support", "system", "template", "test",
        "tenant", "www",
    }
)  # fmt: skip

slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
    "Use 3 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
)


class Agency(TenantMixin):
    """An agency's workspace: its own PostgreSQL schema, reached at its own domains."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True, validators=[slug_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    # White-label branding (agency.branding): on pages, emails and reports, instead of ours.
    brand_primary = models.CharField(max_length=7, default="#3b5bdb")
    brand_accent = models.CharField(max_length=7, default="#e8590c")
    logo = models.FileField(upload_to="branding/", blank=True)
    sender_name = models.CharField(max_length=80, blank=True, help_text="Emails are sent in this name.")
    reply_to = models.EmailField(blank=True, help_text="Replies to the portal's emails go here.")
    contact_line = models.CharField(max_length=200, blank=True, help_text="Phone, website: on reports.")
    report_footer = models.CharField(max_length=200, blank=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def schema_name_for(slug):
        return "agency_" + slug.replace("-", "_")

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the migrated template schema, its migration records included.

        django-tenants would then run every migration again as "fake" to record them, which
        costs a noticeable part of a sign-up and grows with each migration; the cloned
        ``django_migrations`` rows already say the same (``manage.py migrate`` keeps the
        template current). Without a template, django-tenants' own way applies.
        """
        template = settings.TENANT_BASE_SCHEMA
        if not (sync_schema and schema_exists(template)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        CloneSchema().clone_schema(template, self.schema_name, "DATA")
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    """A host name of an agency: ``<slug>.<PORTAL_DOMAIN>`` or any custom domain."""

    def __str__(self):
        return self.domain
