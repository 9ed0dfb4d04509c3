from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from agency.crypto import rotate
from agency.models import Agency

SECRET_COLUMNS = ("pulseback_password", "access_token", "refresh_token")
# Raw SQL: the ciphertext itself is rotated, never decrypted into model objects.
SELECT_SQL = f"SELECT id, {', '.join(SECRET_COLUMNS)} FROM clients_location FOR UPDATE"  # noqa: S608
UPDATE_SQL = f"UPDATE clients_location SET {', '.join(c + ' = %s' for c in SECRET_COLUMNS)} WHERE id = %s"  # noqa: S608


class Command(BaseCommand):
    help = "Re-encrypt every stored PulseBack credential with the first key of CREDENTIALS_KEYS."

    def handle(self, *args, **opts):
        total = 0
        for agency in Agency.objects.exclude(schema_name="public"):
            with tenant_context(agency), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(SELECT_SQL)
                for row_id, *secrets in cursor.fetchall():
                    rotated = [rotate(value) if value else None for value in secrets]
                    cursor.execute(UPDATE_SQL, [*rotated, row_id])
                    total += 1
        self.stdout.write(f"re-encrypted the credentials of {total} location(s)")
