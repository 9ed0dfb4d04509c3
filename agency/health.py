"""/healthz: is the database reachable, is the broker reachable, is every queue served by a worker?
JSON, no login.

Answered by a middleware placed before the tenant middleware, so the probe
works on any host and still answers (503) when the database is down.

Workers are judged by the heartbeat beat sends through each queue every 30 seconds (a worker
that runs it records the time): a queue whose last heartbeat is older than
WORKER_HEARTBEAT_MAX_AGE_SECONDS has no worker serving it (or beat is down, or the queue is
backed up). That makes the answer "degraded", still 200, so a load balancer keeps sending
requests to a web process that can serve them; ``/healthz?strict=1`` answers 503 then too, for
monitoring.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tenants.utils import get_public_schema_name, schema_context

from agency.celery import app as celery_app
from agency.celery import queue_names

logger = logging.getLogger(__name__)


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("health check: database unreachable")
        return False


def _broker_ok():
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.exception("health check: broker unreachable")
        return False


def heartbeat_ages():
    """{queue: seconds since a worker last ran its heartbeat, or None if never}."""
    from agency.models import WorkerHeartbeat

    now = timezone.now()
    with schema_context(get_public_schema_name()):
        seen = dict(WorkerHeartbeat.objects.filter(queue__in=queue_names()).values_list("queue", "at"))
    return {
        queue: round((now - seen[queue]).total_seconds()) if queue in seen else None
        for queue in queue_names()
    }


def _workers(ages):
    late = [
        queue for queue, age in ages.items() if age is None or age > settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS
    ]
    return "ok" if not late else "no recent heartbeat on " + ", ".join(late)


@never_cache
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    ages = heartbeat_ages() if checks["database"] else {}
    body["workers"] = _workers(ages) if checks["database"] else "unknown"
    body["heartbeat_age_seconds"] = ages
    served = body["workers"] == "ok"
    body["status"] = "unavailable" if not healthy else ("ok" if served else "degraded")
    failing = not healthy or (not served and request.GET.get("strict") == "1")
    return JsonResponse(body, status=503 if failing else 200)


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)
