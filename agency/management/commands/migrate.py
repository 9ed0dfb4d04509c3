"""``migrate``: django-tenants' migrate_schemas, plus the template schema new agencies are cloned from."""

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import schema_exists

from agency.services import agency_ensure_public_site


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_public:
            agency_ensure_public_site()
        if self.sync_tenant and not options.get("schema_name"):
            template = settings.TENANT_BASE_SCHEMA
            if not schema_exists(template):
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE SCHEMA "{template}"')
            call_command(
                "migrate_schemas",
                schema_name=template,
                tenant=True,
                interactive=False,
                verbosity=options["verbosity"],
            )
