"""Background work of the agency core."""

from celery import shared_task
from django.db import OperationalError

from agency.provisioning import spare_pool_refill


@shared_task(autoretry_for=(OperationalError,), retry_backoff=30, retry_jitter=True, max_retries=5)
def spares_refill():
    """Top the pool of spare agency schemas up (after a sign-up claimed one, and every minute)."""
    return spare_pool_refill()
