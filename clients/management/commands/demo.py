"""``manage.py demo``: the whole product on this machine, for a first look and for development.

Runs on the embedded PostgreSQL and Redis (started by the settings), migrates, creates a demo
agency with a known login and clients connected to the PulseBack sandbox, then runs the processes
of deploy/Procfile.dev (the sandbox, the web server, a Celery worker and Celery beat) with honcho
until Ctrl-C, which stops them all. The URL is printed once the site answers. A second run reuses
the data.
"""

import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import tenant_context
from honcho.environ import parse_procfile
from honcho.manager import Manager

from agency import embedded
from agency.models import Agency
from agency.services import agency_create
from clients.models import Client
from clients.pulseback.sandbox import ANON_KEY
from clients.services import client_create, location_add

PROCFILE = "deploy/Procfile.dev"
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
STARTUP_SECONDS = 120


class Command(BaseCommand):
    help = "Run the whole product locally: web, worker, beat and a demo agency."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8765)

    def handle(self, *args, port, sandbox_port, **options):
        if not (settings.DEBUG and settings.PULSEBACK_SANDBOX_ENABLED):
            raise CommandError(
                "The demo runs in development mode with the PulseBack sandbox: "
                "run it with DJANGO_SETTINGS_MODULE=agency.settings.dev (make demo does)."
            )
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_demo_agency(sandbox_port)
        connection.close()  # honcho forks: no child may share this connection
        manager = Manager()
        env = self._environment(port, sandbox_port)
        procfile = parse_procfile((Path(settings.BASE_DIR) / PROCFILE).read_text())
        for name, command in procfile.processes.items():
            manager.add_process(name, command, env=env, cwd=str(settings.BASE_DIR))
        ready = threading.Event()
        announcer = threading.Thread(target=self._announce, args=(port, sandbox_port, ready), daemon=True)
        announcer.start()
        try:
            manager.loop()  # until Ctrl-C, or until one process stops (then all are stopped)
        finally:
            ready.set()
            # Children that had to be killed never said goodbye: forget them, so
            # the embedded servers stop as this, their last user, exits.
            embedded.release_postgres()
        if manager.returncode not in (0, 130, 143, None):
            raise CommandError(f"a process of the demo stopped (exit code {manager.returncode}); see above.")

    @staticmethod
    def _environment(port, sandbox_port):
        bin_dir = str(Path(sys.executable).parent)  # python and celery of this virtualenv
        return {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "agency.settings.dev"),
            "PORT": str(port),
            "PORTAL_PORT": str(port),
            "SANDBOX_PORT": str(sandbox_port),
            "PULSEBACK_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        }

    def _announce(self, port, sandbox_port, stop):
        """Print where the portal is once its login page answers (not before)."""
        host = f"{DEMO_SLUG}.{settings.PORTAL_DOMAIN}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            if _answers(f"http://127.0.0.1:{port}/login/", host):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"\nThe portal is running.\n"
                        f"  Agency workspace: http://{host}:{port}/\n"
                        f"  Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                        f"  Sign up a new agency: http://{settings.PORTAL_DOMAIN}:{port}/signup/\n"
                        f"  PulseBack sandbox: http://127.0.0.1:{sandbox_port}/__sandbox__/ "
                        f"(its logins are in clients/pulseback/sandbox/data.py)\n"
                        f"  Emails are written to {settings.EMAIL_FILE_PATH}\n"
                        f"Press Ctrl-C to stop everything.\n"
                    )
                )
                return
            stop.wait(0.5)
        if not stop.is_set():
            self.stderr.write(
                f"The portal did not answer on port {port} within {STARTUP_SECONDS} s; see above."
            )

    def _ensure_demo_agency(self, sandbox_port):
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
        sandbox = f"http://127.0.0.1:{sandbox_port}"
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


def _answers(url, host):
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 - our own loopback server
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False
