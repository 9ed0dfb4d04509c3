"""The backend lists a schema's tables as Django's own introspection does (every relation asked
whether it is visible on the search path), by the schema's dependencies instead."""

from django.db import connection

from agency.db_backend.base import TABLES_SQL

DJANGO_TABLES_SQL = """
SELECT c.relname,
    CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
    obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
    AND pg_catalog.pg_table_is_visible(c.oid) AND c.relpersistence <> 't'
"""  # Django's, less temporary tables (of no schema of ours)


def tables(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path = {connection.schema_name}")
        cursor.execute(sql)
        return sorted(cursor.fetchall())


def test_an_agencys_tables_views_and_partitions_are_listed_as_django_lists_them(agency):
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW clients_recent AS SELECT 1 AS one")
        cursor.execute("COMMENT ON VIEW clients_recent IS 'a note'")
        cursor.execute("CREATE TABLE clients_parted (day date) PARTITION BY RANGE (day)")
        cursor.execute(
            "CREATE TABLE clients_parted_2026 PARTITION OF clients_parted "
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )

    listed = tables(TABLES_SQL)

    assert listed == tables(DJANGO_TABLES_SQL)
    assert {
        ("clients_feedback", "t", None),
        ("clients_recent", "v", "a note"),
        ("clients_parted_2026", "p", None),
    } <= set(listed)
    assert "clients_feedback" in connection.introspection.table_names()
    assert not {"agency_agency", "agency_domain"} & {name for name, *_ in listed}  # the public schema's


def test_the_public_schemas_tables_are_its_own(db):
    connection.set_schema_to_public()

    listed = tables(TABLES_SQL)

    assert listed == tables(DJANGO_TABLES_SQL)
    assert "agency_agency" in {name for name, *_ in listed}
    assert "clients_feedback" not in {name for name, *_ in listed}
