"""``manage.py serve_metrics``: this host's processes' counts over HTTP, for a host that runs Celery
workers but no web server (a web server's /metrics shows its own host's). Listens on an internal
address only (default 127.0.0.1): the counts name no agency, but are nobody else's business."""

from django.core.management.base import BaseCommand, CommandError
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

from agency.metrics import multiproc_dir


class Command(BaseCommand):
    help = "Serve the Prometheus counts of this host's worker processes (PROMETHEUS_MULTIPROC_DIR)."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=9101)

    def handle(self, *args, address, port, **options):
        if not multiproc_dir():
            raise CommandError("Set PROMETHEUS_MULTIPROC_DIR to the folder the workers of this host share.")
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        server, thread = start_http_server(port, addr=address, registry=registry)
        self.stdout.write(f"Serving this host's metrics at http://{address}:{server.server_port}/metrics")
        try:
            thread.join()
        except KeyboardInterrupt:
            server.shutdown()
