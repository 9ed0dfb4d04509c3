from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from agency.models import Agency
from clients.models import Client, Location
from reports.models import ALL_SECTIONS, Language, Report
from reports.selectors import client_settings
from reports.services import report_render, report_validate_period


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Render a client's reputation report to a PDF file (nothing is stored or sent)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True)
        parser.add_argument("--client", required=True, type=int)
        parser.add_argument("--start", required=True, type=_day)
        parser.add_argument("--end", required=True, type=_day)
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--location", type=int)
        parser.add_argument("--language", choices=Language.values, help="Default: the client's language.")

    def handle(self, *args, **opts):
        agency = Agency.objects.exclude(schema_name="public").filter(slug=opts["agency"]).first()
        if agency is None:
            raise CommandError(f"no agency with slug {opts['agency']!r}")
        with tenant_context(agency):
            client = Client.objects.filter(pk=opts["client"]).first()
            if client is None:
                raise CommandError(f"agency {agency.slug} has no client {opts['client']}")
            location = None
            if opts["location"]:
                location = Location.objects.filter(pk=opts["location"], client=client).first()
                if location is None:
                    raise CommandError(f"client {client.pk} has no location {opts['location']}")
            try:
                report_validate_period(client=client, start=opts["start"], end=opts["end"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            language = opts["language"] or client_settings(client=client).language
            report = Report(client=client, location=location, start=opts["start"], end=opts["end"],
                            sections=ALL_SECTIONS, language=language)  # fmt: skip
            pdf = report_render(report=report)
        opts["out"].write_bytes(pdf)
        self.stdout.write(f"wrote {opts['out']} ({len(pdf) // 1024} KB)")
