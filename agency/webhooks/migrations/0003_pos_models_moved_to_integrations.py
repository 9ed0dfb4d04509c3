"""The point-of-sale models now belong to clients.integrations (same tables): forget them here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_alter_webhookdelivery_event_and_more"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PosOrder"),
                migrations.DeleteModel(name="PosTrigger"),
            ],
        ),
    ]
