"""Gunicorn, the production web server (deploy/Procfile: ``gunicorn --config deploy/gunicorn.conf.py
agency.wsgi``). Every value can be changed from the environment (.env.example)."""

import json
import multiprocessing
import os

# Behind a reverse proxy (TLS ends there): listen on all interfaces, port $PORT.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# Two per core plus one: requests spend most of their time waiting on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# A worker busy for longer is killed and replaced (no page takes this long; PDFs render in Celery).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30  # on SIGTERM (a deploy), requests in flight get this long to finish
keepalive = 5  # seconds, longer than a proxy's idle time between requests on one connection
# Recycle each worker after about this many requests: memory never creeps up.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy may say the request came over https or from which address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# One line a request: client, host, request, status, bytes, milliseconds, referrer, user agent.
if os.environ.get("LOG_FORMAT") == "json":
    access_log_format = json.dumps(
        {
            "time": "%(t)s",
            "client": "%(h)s",
            "host": "%({host}i)s",
            "request": "%(r)s",
            "status": "%(s)s",
            "bytes": "%(B)s",
            "ms": "%(M)s",
            "referrer": "%(f)s",
            "agent": "%(a)s",
        }
    )
else:
    access_log_format = '%(h)s %({host}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'


def child_exit(server, worker):
    """A worker that exits: its live gauges go, its counts stay (they are added up at /metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
