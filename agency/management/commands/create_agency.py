from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agency.services import agency_create


class Command(BaseCommand):
    help = "Create an agency with its schema, primary domain and owner (non-interactive)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Address name, e.g. 'acme' for acme.localhost")
        parser.add_argument("--name", required=True, help="The agency's display name")
        parser.add_argument("--domain", help="Primary domain (default: <slug>.<PORTAL_DOMAIN>)")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)

    def handle(self, *args, **opts):
        try:
            agency = agency_create(
                slug=opts["slug"],
                name=opts["name"],
                domain=opts["domain"],
                owner_email=opts["owner_email"],
                owner_password=opts["owner_password"],
            )
        except ValidationError as exc:
            lines = [
                f"  --{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            ]
            raise CommandError("the agency was not created:\n" + "\n".join(lines)) from None
        domain = agency.get_primary_domain().domain
        self.stdout.write(f"Created agency {agency.slug} (schema {agency.schema_name}) at {domain}")
