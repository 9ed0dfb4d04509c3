"""Copy a migrated schema (the template) into a new one, reading only that schema's catalog rows.

django-tenants' ``clone_schema`` asks ``information_schema`` about every table, and those views
scan the whole catalog: with 300 agencies (58,000 ``pg_class`` rows) one clone took 9 to 10 s.
Here a handful of ``pg_catalog`` queries, each restricted to the source schema, produce the DDL
(tables, identity columns, defaults, constraints, indexes, comments) and the source's rows
(``django_migrations``, permissions) are copied with their identity sequences, all in the
caller's transaction. The time depends on the number of tables, not on the number of agencies.

Objects this copy does not reproduce (views, functions, types, triggers, rules, policies,
partitions, inheritance, sequences no identity column owns) raise ``SchemaCopyUnsupported``
before anything is written: the caller then provisions by running the migrations.
"""

import re
from contextlib import contextmanager

from django.db import connection
from psycopg import sql

_SEARCH_PATH = "SELECT current_setting('search_path')"

# What the copy does not reproduce, each as a query returning the names found in the schema.
_UNSUPPORTED = {
    "views, foreign or partitioned tables": """
        SELECT relname FROM pg_class WHERE relnamespace = %(ns)s AND relkind IN ('v', 'm', 'f', 'p')
        UNION ALL SELECT c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
        WHERE c.relnamespace = %(ns)s""",
    "functions": "SELECT proname FROM pg_proc WHERE pronamespace = %(ns)s",
    "types": """
        SELECT t.typname FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype <> 'c'
        AND NOT EXISTS (SELECT FROM pg_type e WHERE e.oid = t.typelem AND e.typtype = 'c'
                        AND e.typnamespace = %(ns)s)""",
    "triggers, rules or policies": """
        SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
        UNION ALL SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
        WHERE c.relnamespace = %(ns)s
        UNION ALL SELECT p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
        WHERE c.relnamespace = %(ns)s""",
    "sequences without an identity column": """
        SELECT s.relname FROM pg_class s WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = s.oid AND d.deptype = 'i')""",
}

_TABLES = "SELECT oid, relname, relpersistence FROM pg_class WHERE relnamespace = %(ns)s AND relkind = 'r'"

_COLUMNS = """
    SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
           a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
           CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation
    WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum"""

# Foreign keys last: they need the referenced tables' keys.
_CONSTRAINTS = """
    SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    WHERE c.relnamespace = %(ns)s AND con.contype IN ('p', 'u', 'x', 'c', 'f')
    ORDER BY con.contype = 'f', con.contype <> 'p', c.relname, con.conname"""

_INDEXES = """
    SELECT pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = %(ns)s AND NOT EXISTS (
        SELECT FROM pg_constraint con
        WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
    ORDER BY 1"""

_COMMENTS = """
    SELECT c.relname, a.attname, d.description
    FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
    WHERE c.relnamespace = %(ns)s AND c.relkind = 'r'"""

# Identity sequences that have handed out values, with the column that owns them.
_SEQUENCES = """
    SELECT c.relname, a.attname, s.last_value
    FROM pg_class seq
    JOIN pg_sequences s ON s.schemaname = %(schema)s AND s.sequencename = seq.relname
    JOIN pg_depend d ON d.objid = seq.oid AND d.deptype = 'i' AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class c ON c.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
    WHERE seq.relnamespace = %(ns)s AND seq.relkind = 'S' AND s.last_value IS NOT NULL"""


class SchemaCopyUnsupported(Exception):
    """The source schema holds objects this copy does not reproduce."""


@contextmanager
def _search_path(cursor, *schemas):
    """Within the caller's transaction: object names print (and resolve) relative to ``schemas``."""
    cursor.execute(_SEARCH_PATH)
    previous = cursor.fetchone()[0]
    path = sql.SQL(", ").join(sql.Identifier(schema) for schema in schemas)
    cursor.execute(sql.SQL("SET LOCAL search_path TO {}").format(path))
    yield  # on an error the transaction is rolled back, and the setting with it
    cursor.execute("SELECT set_config('search_path', %s, true)", [previous])


def schema_copy(*, source, target):
    """Create schema ``target`` as a copy of ``source``: structure, rows and sequence positions.

    Runs in the caller's transaction (one is opened if there is none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [source])
        row = cursor.fetchone()
        if row is None:
            raise SchemaCopyUnsupported(f"schema {source!r} does not exist")
        params = {"ns": row[0], "schema": source}
        # Names print unqualified when they are the source's, qualified when another schema's.
        with _search_path(cursor, source):
            _refuse_unsupported(cursor, params)
            script = _script(cursor, params, source, target)
        with _search_path(cursor, target):
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(target)))
            cursor.execute(script)


def _refuse_unsupported(cursor, params):
    for what, query in _UNSUPPORTED.items():
        cursor.execute(query, params)
        names = [name for (name,) in cursor.fetchall()]
        if names:
            raise SchemaCopyUnsupported(f"{what}: {', '.join(sorted(names)[:5])}")


def _fetch(cursor, query, params):
    cursor.execute(query, params)
    return cursor.fetchall()


def _script(cursor, params, source, target):
    """All the statements of the copy, as one script (one round trip)."""
    tables = {oid: (name, persistence) for oid, name, persistence in _fetch(cursor, _TABLES, params)}
    columns = {oid: [] for oid in tables}
    for oid, name, type_, not_null, identity, generated, default, collation in _fetch(
        cursor, _COLUMNS, params
    ):
        columns[oid].append((name, type_, not_null, identity, generated, default, collation))
    statements = []
    for oid, (name, persistence) in tables.items():
        statements.append(_create_table(name, persistence, columns[oid]))
        copied = sql.SQL(", ").join(sql.Identifier(col[0]) for col in columns[oid] if not col[4])
        statements.append(
            sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}").format(
                sql.Identifier(name), copied, copied, sql.Identifier(source, name)
            )
        )
    for table, column, last_value in _fetch(cursor, _SEQUENCES, params):
        qualified = sql.Identifier(target, table).as_string(cursor.connection)
        statements.append(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, {}), {})").format(
                sql.Literal(qualified), sql.Literal(column), sql.Literal(last_value)
            )
        )
    for table, name, definition in _fetch(cursor, _CONSTRAINTS, params):
        statements.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    # pg_get_indexdef() always names the table with its schema: drop it (the target is on the path).
    cursor.execute("SELECT quote_ident(%s)", [source])
    on_source = re.compile(r" ON (ONLY )?" + re.escape(cursor.fetchone()[0]) + r"\.")
    for (definition,) in _fetch(cursor, _INDEXES, params):
        retargeted = on_source.sub(lambda match: f" ON {match.group(1) or ''}", definition, count=1)
        statements.append(sql.SQL(retargeted))
    for table, column, text in _fetch(cursor, _COMMENTS, params):
        what = (
            sql.SQL("COLUMN {}").format(sql.Identifier(table, column))
            if column
            else sql.SQL("TABLE {}").format(sql.Identifier(table))
        )
        statements.append(sql.SQL("COMMENT ON {} IS {}").format(what, sql.Literal(text)))
    return sql.SQL(";\n").join(statements).as_string(cursor.connection)


def _create_table(name, persistence, columns):
    definitions = []
    for column, type_, not_null, identity, generated, default, collation in columns:
        parts = [sql.Identifier(column), sql.SQL(type_)]
        if collation:
            parts.append(sql.SQL("COLLATE {}").format(sql.Identifier(collation)))
        if generated:
            parts.append(sql.SQL("GENERATED ALWAYS AS ({}) STORED").format(sql.SQL(default)))
        elif identity:
            kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
            parts.append(sql.SQL(f"GENERATED {kind} AS IDENTITY"))
        elif default is not None:
            parts.append(sql.SQL("DEFAULT {}").format(sql.SQL(default)))
        if not_null:
            parts.append(sql.SQL("NOT NULL"))
        definitions.append(sql.SQL(" ").join(parts))
    unlogged = sql.SQL("UNLOGGED ") if persistence == "u" else sql.SQL("")
    return sql.SQL("CREATE {}TABLE {} ({})").format(
        unlogged, sql.Identifier(name), sql.SQL(", ").join(definitions)
    )
