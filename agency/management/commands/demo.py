"""``manage.py demo``: the whole product on this machine, for a first look and for development.

Runs on the embedded PostgreSQL and Redis (started by the settings), migrates,
creates a demo agency with a known login, then starts the web server, a Celery
worker and Celery beat as child processes until Ctrl-C, which stops them all.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from agency import embedded
from agency.models import Agency
from agency.services import agency_create

DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - the demo's published login


class Command(BaseCommand):
    help = "Run the whole product locally: web, worker, beat and a demo agency."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        if not settings.DEBUG:
            raise CommandError("The demo runs in development mode: set DEBUG=1 (make demo does).")
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_demo_agency()
        connection.close()
        python = sys.executable
        children = {
            "web": [python, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "agency", "worker", "-l", "INFO", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "agency", "beat", "-l", "INFO",
                     "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        procs = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env) for name, cmd in children.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"\nThe portal is running.\n"
                f"  Agency workspace: http://{DEMO_SLUG}.{settings.PORTAL_DOMAIN}:{port}/\n"
                f"  Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                f"  Sign up a new agency: http://{settings.PORTAL_DOMAIN}:{port}/signup/\n"
                f"  Emails are written to {settings.EMAIL_FILE_PATH}\n"
                f"Press Ctrl-C to stop everything.\n"
            )
        )
        try:
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
            embedded.stop_redis()
            embedded.stop_postgres()

    def _ensure_demo_agency(self):
        if Agency.objects.filter(slug=DEMO_SLUG).exists():
            return
        agency_create(
            slug=DEMO_SLUG,
            name="Demo Agency",
            owner_email=DEMO_EMAIL,
            owner_password=DEMO_PASSWORD,
            owner_name="Demo Owner",
        )
