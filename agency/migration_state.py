"""Which schemas are behind the migration files, found for all of them in one statement.

A schema is current when its ``django_migrations`` table records every leaf of the migration graph
(the latest migration of each app): migrations are applied in dependency order, so having the
leaves means having everything before them. Every schema records every app's migrations, tenant
apps' and shared apps' alike, so the same leaves apply to agencies, the template and spares.
"""

import hashlib
from functools import lru_cache

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

# Which of the schemas have a migrations table (the others miss everything).
_PRESENT = """
    SELECT n.nspname FROM pg_namespace n
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'django_migrations' AND c.relkind = 'r'
    WHERE n.nspname = ANY(%s)
"""
# One branch per schema, all in one statement: the leaves its migrations table lacks.
_LEAVES = "WITH leaves(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])) "
_MISSING = sql.SQL(
    "SELECT {schema}, (SELECT string_agg(l.app || '.' || l.name, ' ' ORDER BY l.app, l.name) FROM leaves l"
    " WHERE NOT EXISTS (SELECT FROM {table} d WHERE d.app = l.app AND d.name = l.name))"
)


@lru_cache(maxsize=1)
def migration_leaves():
    """The latest migration of every app, as sorted ``(app, name)`` pairs, read from the files."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return tuple(sorted(graph.leaf_nodes()))


def migration_state():
    """A short fingerprint of the migration files' leaves: equal states, equal schemas."""
    text = "\n".join(f"{app}.{name}" for app, name in migration_leaves())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def schemas_behind(*, schemas):
    """``{schema: [missing leaves as "app.name"]}`` for the given schemas that are behind. A schema
    that does not exist, or has no migrations table, misses them all."""
    schemas = list(dict.fromkeys(schemas))
    if not schemas:
        return {}
    leaves = migration_leaves()
    with connection.cursor() as cursor:
        cursor.execute(_PRESENT, [schemas])
        present = {name for (name,) in cursor.fetchall()}
        rows = []
        if present:
            branches = [
                _MISSING.format(schema=sql.Literal(name), table=sql.Identifier(name, "django_migrations"))
                for name in schemas
                if name in present
            ]
            cursor.execute(
                sql.SQL(_LEAVES) + sql.SQL(" UNION ALL ").join(branches),
                [[app for app, _ in leaves], [name for _, name in leaves]],
            )
            rows = cursor.fetchall()
    behind = {name: [f"{app}.{leaf}" for app, leaf in leaves] for name in schemas if name not in present}
    behind.update({name: missing.split(" ") for name, missing in rows if missing})
    return behind
