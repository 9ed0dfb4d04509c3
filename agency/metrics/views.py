"""``/metrics``: Prometheus' text format, for a scraper sending ``Authorization: Bearer <METRICS_TOKEN>``.

Without a token configured the endpoint does not exist (404): metrics name agencies, so they are
never public.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

from agency.metrics import multiproc_dir
from agency.metrics.collectors import ScrapeCollector

# The text format every Prometheus reads (our names need none of version 1.0.0's escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _authorized(request):
    expected = f"Bearer {settings.METRICS_TOKEN}"
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode())


def _process_registry():
    """Every process's counters (multiprocess mode), or this process's own."""
    if not multiproc_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_view(request):
    if not settings.METRICS_TOKEN:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    if not _authorized(request):
        response = HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    scraped = CollectorRegistry()
    scraped.register(ScrapeCollector())
    body = generate_latest(_process_registry()) + generate_latest(scraped)
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
