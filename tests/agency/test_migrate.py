"""``manage.py migrate``: finds the agency schemas that are behind, migrates only those, in parallel,
and reports the ones that fail without stopping the others."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from agency.migration_state import migration_leaves, schemas_behind
from agency.models import Agency


def _sql(query, *names):
    return sql.SQL(query).format(*(sql.Identifier(name) for name in names))


def test_behind_lists_the_agencies_that_are_behind_and_changes_nothing(agency, other_agency):
    app, name = migration_leaves()[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            _sql("DELETE FROM {}.django_migrations WHERE app = %s AND name = %s", other_agency.schema_name),
            [app, name],
        )
    out = StringIO()

    call_command("migrate", behind=True, stdout=out)

    assert f"beta (agency_beta): behind on {app}.{name}" in out.getvalue()
    assert "alpha (" not in out.getvalue()
    assert schemas_behind(schemas=[other_agency.schema_name]) == {other_agency.schema_name: [f"{app}.{name}"]}


def test_a_migrate_with_nothing_to_do_touches_no_agency_schema(db):
    out = StringIO()

    call_command("migrate", interactive=False, verbosity=1, stdout=out)

    agencies = Agency.objects.exclude(schema_name="public").count()
    assert f"0 of {agencies} agency schemas behind" in out.getvalue()


@pytest.fixture
def half_migrated(django_db_blocker):
    """Make committed agencies whose schemas have only the ``team`` app's migrations; yield a
    function making one, and drop them all afterwards."""
    made = []

    def make(slug):
        agency = Agency(slug=slug, name=slug, schema_name=Agency.schema_name_for(slug))
        agency.auto_create_schema = False
        agency.save()
        made.append(agency)
        with connection.cursor() as cursor:
            cursor.execute(_sql("CREATE SCHEMA {}", agency.schema_name))
        call_command(
            "migrate_schemas", "team", schema_name=agency.schema_name, interactive=False, verbosity=0
        )
        connection.set_schema_to_public()
        return agency.schema_name

    with django_db_blocker.unblock():
        try:
            yield make
        finally:
            connection.set_schema_to_public()
            for agency in made:
                agency.delete(force_drop=True)


def test_only_schemas_behind_are_migrated_and_a_failing_one_does_not_stop_the_others(half_migrated, capfd):
    behind = half_migrated("mig-behind")
    broken = half_migrated("mig-broken")
    with connection.cursor() as cursor:  # the clients app's first migration will collide with it
        cursor.execute(_sql("CREATE TABLE {}.clients_client (id integer)", broken))
    agencies = Agency.objects.exclude(schema_name="public").count()
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("migrate", interactive=False, verbosity=1, processes=2, stdout=out, stderr=StringIO())

    assert f"2 of {agencies} agency schemas behind" in out.getvalue()
    migrated = capfd.readouterr().out  # each schema's migrate writes to the process's own output
    assert f"[migrate:{behind}]" in migrated and f"[migrate:{broken}]" in migrated
    assert "[migrate:agency_alpha]" not in migrated
    assert "1 schema(s) failed to migrate" in str(failure.value)
    assert broken in str(failure.value) and "clients_client" in str(failure.value)
    assert behind not in str(failure.value)
    assert schemas_behind(schemas=[behind]) == {}
    assert broken in schemas_behind(schemas=[broken])
