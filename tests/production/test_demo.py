"""`make demo` (manage.py demo, deploy/Procfile.dev run by honcho): it migrates, makes the demo
agency with its clients, starts the sandbox, web server, worker and beat, prints the URL only once
the site answers, syncs the demo clients, stops everything on Ctrl-C, and a second run reuses the
data. On a database and broker namespace of its own, on free ports."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.production.stack import ROOT, fresh_database, query, redis_url, wait_until

pytestmark = pytest.mark.production
DEMO_ITEMS = 360 + 220 + 180 + 260 + 300  # the sandbox's five demo accounts


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port):
    request = f"GET /login/ HTTP/1.0\r\nHost: demo.localhost:{port}\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(request)
            return conn.recv(64).split(b"\r\n", 1)[0].endswith(b"200 OK")
    except OSError:
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Demo:
    def __init__(self, env, log):
        self.env, self.log = env, log
        self.port, self.sandbox_port = _free_port(), _free_port()
        self.process = None

    def start(self):
        with open(self.log, "a") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "demo",
                    "--port",
                    str(self.port),
                    "--sandbox-port",
                    str(self.sandbox_port),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self):
        return self.log.read_text(errors="replace")

    def ready(self):
        assert self.process.poll() is None, self.output()[-4000:]
        return self.output().count("The portal is running.")

    def ctrl_c(self):
        """What Ctrl-C in the terminal does: SIGINT to the demo (its children have sessions of their own)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def demo(django_db_blocker, tmp_path):
    with fresh_database(django_db_blocker, f"demo_portal_{os.getpid()}") as name:
        db = settings.DATABASES["default"]
        host = db["HOST"].replace("/", "%2F")
        port = f":{db['PORT']}" if db["PORT"] else ""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "agency.settings.dev",
            "DATABASE_URL": f"postgres://{db['USER']}@{host}{port}/{name}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": f"demo-test-{os.getpid()}",
            "REDIS_URL": redis_url(3),
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
            "TENANT_SPARE_SCHEMAS": "1",
        }
        yield Demo(env, tmp_path / "demo.log"), name


def test_make_demo_runs_the_product_and_stops_on_ctrl_c(demo):
    demo, database = demo
    demo.start()
    wait_until(demo.ready, seconds=240, what="the demo saying the portal is running", every=0.5)
    assert _answers(demo.port), "the URL was printed before the site answered"
    assert f"Agency workspace: http://demo.localhost:{demo.port}/" in demo.output()
    assert "owner@demo.example / demo-portal-2026" in demo.output()

    def synced():
        return query(database, "SELECT count(*) FROM agency_demo.clients_feedback")[0][0] == DEMO_ITEMS

    wait_until(synced, seconds=180, what="the demo's clients synced from the sandbox by the worker", every=1)
    children = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", demo.output())]
    assert len(children) == 4  # sandbox, web, worker, beat

    assert demo.ctrl_c() in (0, 1)
    wait_until(
        lambda: not any(_alive(pid) for pid in children), seconds=15, what="every demo process stopped"
    )

    started = time.monotonic()
    demo.start()
    wait_until(lambda: demo.ready() == 2, seconds=120, what="the second run saying the portal is running")
    assert time.monotonic() - started < 60
    assert query(database, "SELECT count(*) FROM agency_demo.clients_client")[0][0] == 4
    assert query(database, "SELECT count(*) FROM public.agency_agency WHERE slug = 'demo'")[0][0] == 1
    demo.ctrl_c()
