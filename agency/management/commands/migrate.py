"""``migrate``: the public schema, the template, then only the agency schemas that are behind.

Which schemas are behind is decided with one query over all of them (agency.migration_state);
those are migrated in parallel, ``TENANT_MULTIPROCESSING_MAX_PROCESSES`` at a time (``--processes``).
A schema that fails does not stop the others: failures are listed at the end and the command
exits non-zero. Spare schemas of an older migration state are dropped and the pool is refilled.
``migrate --behind`` lists the agencies that are behind and changes nothing.

Targeted runs (an app label or migration name, ``--schema``, ``--fake``, ``--plan``, ``--check``,
``--prune``...) keep django-tenants' own behaviour: every schema in turn (``--executor`` applies
there only).
"""

import multiprocessing
import time
import traceback

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name, schema_exists
from psycopg import sql

from agency.migration_state import schemas_behind
from agency.models import Agency
from agency.provisioning import spare_pool_refill, spares_discard_stale
from agency.services import agency_ensure_public_site

TARGETED = (
    "app_label",
    "migration_name",
    "schema_name",
    "fake",
    "fake_initial",
    "plan",
    "prune",
    "check_unapplied",
)


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--behind", action="store_true", help="List the agencies whose schema is behind, and exit."
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Agency schemas migrated at once (default: TENANT_MULTIPROCESSING_MAX_PROCESSES).",
        )

    def handle(self, *args, **options):
        if options["behind"]:
            return self._report_behind()
        if any(options.get(name) for name in TARGETED):
            super().handle(*args, **options)
            if self.sync_public:
                agency_ensure_public_site()
            if self.sync_tenant and not options.get("schema_name"):
                call_command("migrate_schemas", schema_name=_template_ensure(), tenant=True,
                             interactive=False, verbosity=options["verbosity"])  # fmt: skip
            return None
        started = time.monotonic()
        self.sync_tenant, self.sync_public = options["tenant"], options["shared"]
        if not (self.sync_tenant or self.sync_public):
            self.sync_tenant = self.sync_public = True
        # Each schema's migrate skips the system checks: this command ran them once.
        self.options = {**options, "skip_checks": True}
        self.args = args
        verbosity = options["verbosity"]
        if self.sync_public:
            run_migrations(args, self.options, "public", get_public_schema_name())
            agency_ensure_public_site()
        if not self.sync_tenant:
            return None
        failures = self._migrate_tenants(
            options["processes"] or settings.TENANT_MULTIPROCESSING_MAX_PROCESSES
        )
        if verbosity:
            self.stdout.write(f"migrate done in {time.monotonic() - started:.1f} s")
        if failures:
            lines = "\n".join(f"  {schema}: {error.strip().splitlines()[-1]}" for schema, error in failures)
            for schema, error in failures:
                self.stderr.write(f"--- {schema} ---\n{error}")
            raise CommandError(f"{len(failures)} schema(s) failed to migrate:\n{lines}")
        return None

    def _migrate_tenants(self, processes):
        template = _template_ensure()
        agencies = _agency_schemas()
        behind = schemas_behind(schemas=[template, *agencies])
        failures = []
        if template in behind:
            failures += _migrate_each(self.args, self.options, [template], processes=1)
        todo = [schema for schema in agencies if schema in behind]
        if self.options["verbosity"]:
            self.stdout.write(
                f"{len(todo)} of {len(agencies)} agency schemas behind; migrating them "
                f"{min(processes, len(todo)) or 1} at a time"
            )
        failures += _migrate_each(self.args, self.options, todo, processes=processes, stdout=self.stdout)
        stale = spares_discard_stale()
        made = spare_pool_refill()
        if self.options["verbosity"] and (stale or made):
            self.stdout.write(f"spare schemas: {len(stale)} outdated dropped, {made} made")
        return failures

    def _report_behind(self):
        template = settings.TENANT_BASE_SCHEMA
        slugs = dict(
            Agency.objects.exclude(schema_name=get_public_schema_name()).values_list("schema_name", "slug")
        )
        behind = schemas_behind(schemas=[template, *sorted(slugs)])
        if template in behind:
            self.stdout.write(f"template ({template}): behind on {', '.join(behind.pop(template))}")
        for schema, missing in sorted(behind.items()):
            self.stdout.write(f"{slugs[schema]} ({schema}): behind on {', '.join(missing)}")
        self.stdout.write(f"{len(behind)} of {len(slugs)} agencies behind")


def _template_ensure():
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(template)))
    return template


def _agency_schemas():
    return list(
        Agency.objects.exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


# What every schema's migrate is given; set before the pool forks, so children inherit it.
_RUN = {}


def _migrate_one(schema):
    """Migrate one schema; return ``(schema, None)`` or ``(schema, the error's traceback)``."""
    try:
        run_migrations(_RUN["args"], _RUN["options"], "migrate", schema, allow_atomic=False)
    except Exception:  # reported with the others at the end; the rest go on
        return schema, traceback.format_exc()
    finally:
        connection.close()
    return schema, None


def _migrate_each(args, options, schemas, *, processes, stdout=None):
    """Migrate ``schemas``, ``processes`` at a time (forked, each with its own connection); return
    the failures as ``[(schema, traceback)]``."""
    if not schemas:
        return []
    # Output goes to the process's own stdout, prefixed with the schema (django-tenants).
    _RUN.update(args=args, options={k: v for k, v in options.items() if k not in ("stdout", "stderr")})
    connection.close()  # forked children must not share the parent's connection
    if processes <= 1 or len(schemas) == 1:
        return _collect(map(_migrate_one, schemas), len(schemas), stdout)
    with multiprocessing.get_context("fork").Pool(processes=min(processes, len(schemas))) as pool:
        return _collect(pool.imap_unordered(_migrate_one, schemas), len(schemas), stdout)


def _collect(results, total, stdout):
    failures = []
    for done, (schema, error) in enumerate(results, start=1):
        if error:
            failures.append((schema, error))
        if stdout is not None and (done % 100 == 0 or done == total):
            stdout.write(f"  {done}/{total} agency schemas done, {len(failures)} failed")
    return failures
