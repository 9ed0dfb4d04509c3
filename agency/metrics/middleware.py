"""Times every request by view, and answers ``/metrics`` on any host (before the tenant middleware,
like /healthz), for a scraper that knows the token."""

import time

from agency.metrics import REQUEST_SECONDS, REQUESTS

METRICS_PATH = "/metrics"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == METRICS_PATH:
            from agency.metrics.views import metrics_view

            return metrics_view(request)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (
            (match.view_name or "unnamed") if match else ("healthz" if request.path == "/healthz" else "none")
        )
        REQUEST_SECONDS.labels(view=view, method=request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view=view, status=f"{response.status_code // 100}xx").inc()
        return response
