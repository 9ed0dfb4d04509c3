"""The point-of-sale models move here from the webhooks app; their tables stay as they are."""

import uuid

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import agency.crypto


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("clients", "0003_feedback_rollups"),
        ("webhooks", "0002_alter_webhookdelivery_event_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PosTrigger',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.UUIDField(default=uuid.uuid4, unique=True)),
                        ('secret', agency.crypto.EncryptedTextField()),
                        ('starting_rating', models.SmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                        ('is_enabled', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('rotated_at', models.DateTimeField(blank=True, null=True)),
                        ('location', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='pos_trigger', to='clients.location')),
                    ],
                    options={'db_table': 'webhooks_postrigger'},
                ),
                migrations.CreateModel(
                    name='PosOrder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order_id', models.CharField(max_length=200)),
                        ('channel', models.CharField(default='pos', max_length=8)),
                        ('customer_name', models.TextField(blank=True)),
                        ('customer_email', models.TextField(blank=True)),
                        ('customer_phone', models.TextField(blank=True)),
                        ('comment', models.TextField(blank=True)),
                        ('rating', models.SmallIntegerField()),
                        ('state', models.CharField(choices=[('pending', 'Waiting to be sent to PulseBack'), ('sending', 'Being sent to PulseBack'), ('created', 'Created in PulseBack'), ('failed', 'Failed')], default='pending', max_length=12)),
                        ('attempts', models.IntegerField(default=0)),
                        ('pulseback_id', models.CharField(blank=True, max_length=64)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('location', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pos_orders', to='clients.location')),
                    ],
                    options={
                        'db_table': 'webhooks_posorder',
                        'ordering': ['-created_at'],
                        'constraints': [models.UniqueConstraint(fields=('location', 'order_id'), name='pos_order_unique_per_location')],
                    },
                ),
            ],
        ),
    ]
