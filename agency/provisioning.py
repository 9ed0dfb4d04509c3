"""Agency schemas in constant time: a pool of spare schemas that sign-up renames.

Spares are full agency schemas, current with the migrations, named ``spare_<state>_<random>``
where ``<state>`` fingerprints the migration files (agency.migration_state). Sign-up claims one
under a lock and renames it (``ALTER SCHEMA ... RENAME`` costs the same however large the
catalog); the rename is part of the sign-up's transaction, so a sign-up that fails gives the
spare back. The pool is refilled in the background (agency.tasks.spares_refill, queued after each
claim and every minute by beat) up to ``TENANT_SPARE_SCHEMAS``, and by ``migrate``, which also
drops the spares of an older state.

With the pool empty, sign-up builds the schema itself: a catalog copy of the template
(agency.schema_copy, ~0.2 s whatever the number of agencies) when the template is current, else
by running every migration (~2 s). django-tenants' own clone is never used: it is slower than
both once there are a few dozen agencies, and grows with each one.
"""

import logging
import secrets

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from psycopg import sql

from agency.migration_state import migration_state, schemas_behind
from agency.schema_copy import SchemaCopyUnsupported, schema_copy

logger = logging.getLogger(__name__)

SPARE_PREFIX = "spare_"
# Advisory lock keys (two int4): this module's, then one per use.
_LOCK_SPACE = 0x50524F56  # "PROV"
_CLAIM = 1  # held by a claim or a discard until its transaction ends
_REFILL = 2  # held by the one refill running


def _spare_pattern(state=None):
    """A LIKE pattern of the spares' names (``_`` matches any character unless escaped)."""
    prefix = SPARE_PREFIX.replace("_", "\\_")
    return f"{prefix}{state}\\_%" if state else f"{prefix}%"


def spares_list(*, state=None):
    """The spare schemas (of ``state`` only, when given), in claim order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname", [_spare_pattern(state)]
        )
        return [name for (name,) in cursor.fetchall()]


def template_is_current():
    return not schemas_behind(schemas=[settings.TENANT_BASE_SCHEMA])


@transaction.atomic
def schema_provide(*, schema_name):
    """Give ``schema_name`` a current agency schema, in the caller's transaction; return how:
    ``"spare"`` (claimed from the pool), ``"copy"`` (of the template) or ``"migrations"``."""
    if _spare_claim(schema_name):
        return "spare"
    return _schema_build(schema_name)


def _spare_claim(schema_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, _CLAIM])
        # A statement after the lock sees the renames of the claims that held it before.
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname LIMIT 1",
            [_spare_pattern(migration_state())],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(row[0]), sql.Identifier(schema_name)
            )
        )
    logger.info("claimed spare schema %s as %s", row[0], schema_name)
    return True


def _schema_build(schema_name):
    """Build a current agency schema: copy the template if it is current, else run the migrations."""
    if template_is_current():
        try:
            with transaction.atomic():
                schema_copy(source=settings.TENANT_BASE_SCHEMA, target=schema_name)
            return "copy"
        except SchemaCopyUnsupported as exc:
            logger.warning("the template cannot be copied (%s): running the migrations instead", exc)
    else:
        logger.warning(
            "the template schema is behind the migrations (run migrate): migrating %s", schema_name
        )
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)))
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return "migrations"


def spare_pool_refill(*, size=None):
    """Build spares until the pool holds ``size`` (default TENANT_SPARE_SCHEMAS) of the current
    state; return how many were made. Only one refill runs at a time (the others return 0), and
    none while the template is behind (spares would be born outdated)."""
    size = settings.TENANT_SPARE_SCHEMAS if size is None else size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, _REFILL])
        if not cursor.fetchone()[0]:
            return 0
    try:
        if not template_is_current():
            logger.warning("spare schemas not refilled: the template is behind the migrations (run migrate)")
            return 0
        state = migration_state()
        made = 0
        # Claims may empty the pool meanwhile: bounded, so a burst of sign-ups cannot keep it here.
        while made < 2 * size and len(spares_list(state=state)) < size:
            name = f"{SPARE_PREFIX}{state}_{secrets.token_hex(6)}"
            with transaction.atomic():
                how = _schema_build(name)
            logger.info("spare schema %s made (%s)", name, how)
            made += 1
        return made
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, _REFILL])


@transaction.atomic
def spares_discard_stale():
    """Drop the spares of another migration state (made before the latest migrations); return
    their names. Under the claim lock, so no sign-up is renaming one of them meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, _CLAIM])
        current = set(spares_list(state=migration_state()))
        stale = [name for name in spares_list() if name not in current]
        for name in stale:
            cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    if stale:
        logger.info("dropped %s spare schemas of an older migration state", len(stale))
    return stale
