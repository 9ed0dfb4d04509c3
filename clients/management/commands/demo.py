"""``manage.py demo``: the whole product on this machine, for a first look and for development.

Runs on the embedded PostgreSQL and Redis (started by the settings), migrates,
creates a demo agency with a known login and clients connected to the PulseBack
sandbox, then starts the sandbox, the web server, a Celery worker and Celery
beat as child processes until Ctrl-C, which stops them all.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import tenant_context

from agency import embedded
from agency.models import Agency
from agency.services import agency_create
from clients.models import Client
from clients.pulseback.sandbox import ANON_KEY
from clients.services import client_create, location_add

SANDBOX_PORT = 8765
# The demo's clients: (client, [(location, sandbox login, password)]).
DEMO_CLIENTS = [
    ("Bistro Verde", [("Bistro Verde", "bistro@sandbox.pulseback.test", "sandbox-bistro")]),
    ("Bright Smile Dental", [("Bright Smile Dental", "dental@sandbox.pulseback.test", "sandbox-dental")]),
    ("Northside Auto Repair", [("Northside Auto Repair", "garage@sandbox.pulseback.test", "sandbox-garage")]),
    (
        "Lakeside Hospitality",
        [
            ("Salon Lumière", "salon@sandbox.pulseback.test", "sandbox-salon"),
            ("Hotel Seeblick", "hotel@sandbox.pulseback.test", "sandbox-hotel"),
        ],
    ),
]
DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - the demo's published login


class Command(BaseCommand):
    help = "Run the whole product locally: web, worker, beat and a demo agency."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        if not (settings.DEBUG and settings.PULSEBACK_SANDBOX_ENABLED):
            raise CommandError(
                "The demo runs in development mode with the PulseBack sandbox: "
                "run it with DJANGO_SETTINGS_MODULE=agency.settings.dev (make demo does)."
            )
        call_command("migrate", interactive=False, verbosity=0)
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        procs = {}

        def start(name, *command):
            # A session of its own: Ctrl-C reaches only this process, which stops each child once.
            procs[name] = subprocess.Popen(
                [python, *command], cwd=settings.BASE_DIR, env=env, start_new_session=True
            )

        try:
            start("sandbox", "manage.py", "pulseback_sandbox", "--port", str(SANDBOX_PORT))
            self._wait_for_port(SANDBOX_PORT)
            self._ensure_demo_agency()
            connection.close()
            start("web", "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload")
            start("worker", "-m", "celery", "-A", "agency", "worker", "-l", "INFO", "--concurrency", "2")
            start("beat", "-m", "celery", "-A", "agency", "beat", "-l", "INFO",
                  "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME)  # fmt: skip
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nThe portal is running.\n"
                    f"  Agency workspace: http://{DEMO_SLUG}.{settings.PORTAL_DOMAIN}:{port}/\n"
                    f"  Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                    f"  Sign up a new agency: http://{settings.PORTAL_DOMAIN}:{port}/signup/\n"
                    f"  PulseBack sandbox: http://127.0.0.1:{SANDBOX_PORT}/__sandbox__/ "
                    f"(its logins are in clients/pulseback/sandbox/data.py)\n"
                    f"  Emails are written to {settings.EMAIL_FILE_PATH}\n"
                    f"Press Ctrl-C to stop everything.\n"
                )
            )
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            failed = [name for name, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(failed)} stopped; shutting the demo down.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping...")
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs.values():
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
            # Children that had to be killed never said goodbye: forget them, so
            # the embedded servers stop as this, their last user, exits.
            embedded.release_postgres()

    def _wait_for_port(self, port):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise CommandError(f"the PulseBack sandbox did not start on port {port}")

    def _ensure_demo_agency(self):
        """The demo agency and its clients, connected to the sandbox (made on the first run only)."""
        agency = Agency.objects.filter(slug=DEMO_SLUG).first()
        if agency is None:
            agency = agency_create(
                slug=DEMO_SLUG,
                name="Demo Agency",
                owner_email=DEMO_EMAIL,
                owner_password=DEMO_PASSWORD,
                owner_name="Demo Owner",
            )
        sandbox = f"http://127.0.0.1:{SANDBOX_PORT}"
        endpoints = {"api_url": f"{sandbox}/api", "auth_url": sandbox, "anon_key": ANON_KEY}
        with tenant_context(agency):
            if Client.objects.exists():
                return
            for client_name, locations in DEMO_CLIENTS:
                (first_name, email, password), *others = locations
                client, _ = client_create(
                    actor=None,
                    name=client_name,
                    location_name=first_name,
                    pulseback_email=email,
                    pulseback_password=password,
                    report_recipients=[f"owner@{client_name.split()[0].lower()}.example"],
                    **endpoints,
                )
                for name, email, password in others:
                    location_add(
                        actor=None,
                        client=client,
                        name=name,
                        pulseback_email=email,
                        pulseback_password=password,
                        **endpoints,
                    )
