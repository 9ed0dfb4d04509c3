from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from clients.alerts import services


@shared_task(acks_late=True)
def alert_email_task(alert_id):
    services.alert_email(alert_id=alert_id)


@shared_task
def alerts_check_all():
    """Beat (hourly): the periodic checks of every agency."""
    for agency in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(agency):
            services.alerts_check()


@shared_task
def alerts_digest_all():
    """Beat (daily): the digest email of every agency."""
    for agency in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(agency):
            services.alerts_digest_send()
