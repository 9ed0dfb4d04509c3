from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from agency.models import Agency
from clients.services import client_create


class Command(BaseCommand):
    help = "Add a client business with one PulseBack location to an agency; its backfill is queued."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="The agency's slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--pulseback-email", required=True)
        parser.add_argument("--pulseback-password", required=True)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--api-url", default="")
        parser.add_argument("--auth-url", default="")
        parser.add_argument("--anon-key", default="")

    def handle(self, *args, **opts):
        try:
            agency = Agency.objects.exclude(schema_name="public").get(slug=opts["agency"])
        except Agency.DoesNotExist:
            raise CommandError(f"no agency with slug {opts['agency']!r}") from None
        with tenant_context(agency):
            try:
                client, location = client_create(
                    actor=None,
                    name=opts["name"],
                    pulseback_email=opts["pulseback_email"],
                    pulseback_password=opts["pulseback_password"],
                    timezone_name=opts["timezone"],
                    api_url=opts["api_url"],
                    auth_url=opts["auth_url"],
                    anon_key=opts["anon_key"],
                )
            except ValidationError as exc:
                lines = [f"  {field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
                raise CommandError("the client was not added:\n" + "\n".join(lines)) from None
        self.stdout.write(f"client {client.pk} location {location.pk}")
