"""The portal's Prometheus metrics (README "Operations"): what each process counts, here; what is
read at scrape time (sync lag, queues, heartbeats, sign-in budget), in ``collectors``.

Counters are written by whichever process does the work: gunicorn's workers (requests) and
Celery's (syncs, webhooks, reports). With ``PROMETHEUS_MULTIPROC_DIR`` set (deploy/Procfile sets
it), every process writes its own file in that folder and ``/metrics`` adds them all up, so one
scrape of the web app shows the workers' counts too. Domain counts come from the signals of
``agency.events`` (``receivers``), so no layer imports this package to count.
"""

import os

from prometheus_client import Counter, Histogram, disable_created_metrics


def multiproc_dir():
    """The folder every process of this host writes its counts in (multiprocess mode), or None."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


if multiproc_dir():  # each process writes its file there from the start
    os.makedirs(multiproc_dir(), exist_ok=True)
disable_created_metrics()  # the same series with or without multiprocess mode

REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by view (url name) and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS = Counter("portal_http_requests", "Requests answered, by view and status class.", ["view", "status"])
SYNC_RUNS = Counter("portal_sync_runs", "Sync runs that ended, by outcome and kind.", ["outcome", "kind"])
ITEMS_SYNCED = Counter("portal_feedback_items_synced", "Feedback items written by syncs.", ["change"])
WEBHOOK_DELIVERIES = Counter(
    "portal_webhook_deliveries",
    "Webhook delivery attempts, by result (delivered, http_error, unreachable).",
    ["result"],
)
REPORT_RENDERS = Counter(
    "portal_report_renders", "Reports rendered to PDF, by state after rendering.", ["state"]
)
REPORT_SENDS = Counter("portal_report_sends", "Reports emailed to their recipients.")
TASKS_PARKED = Counter("portal_tasks_parked", "Background tasks of suspended agencies kept for later.")
