from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from agency.api.models import Scope
from agency.api.services import api_token_create
from agency.models import Agency
from agency.team.models import User


class Command(BaseCommand):
    help = "Create a personal API token for a member of an agency; prints the token once."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="The agency's slug")
        parser.add_argument("--email", required=True, help="The member the token acts as")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        parser.add_argument("--name", default="Created by an operator")

    def handle(self, *args, **opts):
        try:
            agency = Agency.objects.get(slug=opts["agency"])
        except Agency.DoesNotExist:
            raise CommandError(f"no agency with the slug {opts['agency']!r}") from None
        with tenant_context(agency):
            try:
                user = User.objects.get(email=opts["email"].strip().lower(), is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"no active member {opts['email']!r} in agency {agency.slug}") from None
            try:
                token, raw = api_token_create(user=user, name=opts["name"], scope=opts["scope"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Token {token.prefix}… ({token.scope}) for {user.email} in {agency.slug}; shown once:"
        )
        self.stdout.write(raw)
