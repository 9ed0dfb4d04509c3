"""django-tenants' PostgreSQL backend, whose introspection lists a schema's tables by the schema.

Django lists tables by asking every relation of the database whether it is visible on the search
path: a scan of pg_class, which holds every agency's tables and indexes (316,000 rows at 1,000
agencies: 50-70 ms). Each schema's ``migrate`` lists them four times (is django_migrations there?),
so a deploy slowed down with every agency. The same tables are found through the schema's
dependencies (an index range of pg_depend): under a millisecond, whatever the number of agencies.
"""

from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.introspection import (
    DatabaseSchemaIntrospection,
    DatabaseSchemaIntrospectionSearchPathContext,
)

# Django's columns, for the tables, views and foreign tables of the current schema (the one
# django-tenants' context sets alone on the search path): each depends on its schema ('n').
TABLES_SQL = """
SELECT c.relname,
    CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
    obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass
    AND d.refobjid = current_schema()::regnamespace
    AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n'
    AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
"""


class SchemaIntrospection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor):
        with DatabaseSchemaIntrospectionSearchPathContext(cursor=cursor, connection=self.connection):
            cursor.execute(TABLES_SQL)
            return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = SchemaIntrospection(self)
