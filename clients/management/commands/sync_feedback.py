import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import tenant_context

from agency.models import Agency
from clients.models import Location, SyncKind, SyncState
from clients.pulseback import PulseBackError
from clients.sync import location_sync
from clients.sync_lock import SyncLocked, SyncPaused


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "later"


class Command(BaseCommand):
    help = (
        "Sync an agency's feedback from PulseBack in the foreground (the same code as the Celery task). "
        "Exits non-zero unless every location's data now matches PulseBack, saying why."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="The agency's slug")
        parser.add_argument("--client", type=int, help="Only this client's locations")
        parser.add_argument("--full", action="store_true", help="A full reconcile instead of recent days")

    def handle(self, *args, **opts):
        try:
            agency = Agency.objects.exclude(schema_name="public").get(slug=opts["agency"])
        except Agency.DoesNotExist:
            raise CommandError(f"no agency with slug {opts['agency']!r}") from None
        behind = 0
        with tenant_context(agency):
            locations = Location.objects.select_related("client")
            if opts["client"]:
                locations = locations.filter(client_id=opts["client"])
                if not locations.exists():
                    raise CommandError(f"agency {agency.slug} has no client {opts['client']}")
            for location in locations:
                behind += not self._sync(location, full=opts["full"])
        if behind:
            raise CommandError(f"{behind} location(s) are not in line with PulseBack (see above)")

    def _sync(self, location, *, full):
        """Sync one location and say how it went; True when its data now matches PulseBack."""
        if full:
            kind = SyncKind.RECONCILE
        else:
            kind = SyncKind.INCREMENTAL if location.backfilled_at else SyncKind.BACKFILL
        self.stdout.write(f"{location} ({kind})")
        try:
            run = location_sync(location_id=location.pk, kind=kind, on_progress=self._progress)
        except (SyncLocked, SyncPaused, PulseBackError) as exc:
            self.stderr.write(f"\n  failed, not synced: {exc}")
            return False
        if sys.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(
            f"  {run.fetched} fetched in {run.pages} pages: {run.created} new, {run.updated} updated, "
            f"{run.unchanged} unchanged, {run.removed} removed, {run.skipped} skipped, "
            f"{run.retries} retries; {run.sign_ins} sign-ins, {run.refreshes} token refreshes, "
            f"{run.waited_seconds:.0f}s waited"
        )
        if run.state == SyncState.SUCCEEDED:
            self.stdout.write("  succeeded: the stored data matches PulseBack's total and statuses")
            return True
        if run.state == SyncState.PARTIAL:
            self.stderr.write(
                f"  partial: {run.unseen} item(s) not yet in line with PulseBack (it changed while this sync "
                f"paged); a catch-up sync is queued for {_when(run.retry_at)}"
            )
        elif run.state == SyncState.DEFERRED:
            self.stderr.write(f"  deferred, {run.error}; it resumes at {_when(run.retry_at)}")
        else:
            self.stderr.write(f"  failed: {run.error}")
        return False

    def _progress(self, run):
        if not sys.stdout.isatty():
            return
        share = run.progress or 0
        bar = "#" * int(share * 30)
        sys.stdout.write(f"\r  [{bar:<30}] {run.fetched}/{run.expected or '?'}")
        sys.stdout.flush()
