"""The deployment files say what the code does: the Grafana dashboard draws only series /metrics
exposes (and every one of them), the Procfiles run a worker for every queue and exactly one beat,
and gunicorn's configuration follows the machine and the environment. (test_smoke runs them.)"""

import json
import multiprocessing
import os
import re
import runpy
import subprocess
import sys

import httpx
from django.conf import settings
from honcho.environ import parse_procfile
from prometheus_client.parser import text_string_to_metric_families

from agency.celery import app as celery_app
from agency.celery import queue_names
from tests.conftest import host_client
from tests.production.stack import ROOT, samples

DEPLOY = ROOT / "deploy"


def _exposed_families(settings_fixture):
    settings_fixture.METRICS_TOKEN = "t"
    text = host_client("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    return {
        family.name for family in text_string_to_metric_families(text) if family.name.startswith("portal_")
    }


def test_the_dashboard_draws_every_series_of_the_portal_and_only_those(db, settings):
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    drawn = {
        re.sub(r"_(bucket|count|sum|total)$", "", name)
        for expr in expressions
        for name in re.findall(r"\bportal_[a-z_]+", expr)
    }

    assert drawn == _exposed_families(settings)
    assert all(panel["datasource"]["uid"] == "${DS_PROMETHEUS}" for panel in dashboard["panels"])


def test_the_procfile_serves_every_queue_once_and_runs_one_beat():
    processes = parse_procfile((DEPLOY / "Procfile").read_text()).processes
    workers = {name: command for name, command in processes.items() if " worker " in command}
    queues = set(queue_names())
    served = set()
    for command in workers.values():
        only = re.search(r" -Q (\S+)", command)
        but = re.search(r" -X (\S+)", command)
        served |= set(only.group(1).split(",")) if only else queues - set(but.group(1).split(","))
    assert served == queues
    assert len(workers) == 3 and {"sync", "reports"} <= set(workers)
    assert [name for name, command in processes.items() if " beat" in command] == ["beat"]
    assert processes["web"] == "gunicorn --config deploy/gunicorn.conf.py agency.wsgi"
    assert set(parse_procfile((DEPLOY / "Procfile.dev").read_text()).processes) == {
        "sandbox",
        "web",
        "worker",
        "beat",
    }


def test_gunicorn_follows_the_cores_and_the_environment(monkeypatch):
    for name in ("PORT", "WEB_CONCURRENCY", "WEB_TIMEOUT", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    default = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert default["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert (default["bind"], default["timeout"]) == (["0.0.0.0:8000"], 30)
    assert '"%(r)s" %(s)s' in default["access_log_format"]

    monkeypatch.setenv("PORT", "5100")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("LOG_FORMAT", "json")
    tuned = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert (tuned["bind"], tuned["workers"]) == (["0.0.0.0:5100"], 3)
    assert json.loads(tuned["access_log_format"])["status"] == "%(s)s"


def test_routes_send_each_kind_of_work_to_its_queue():
    routes = settings.CELERY_TASK_ROUTES
    assert routes["clients.tasks.*"] == {"queue": "sync"}
    assert routes["reports.tasks.*"] == {"queue": "reports"}
    assert routes["agency.webhooks.tasks.*"] == {"queue": "messages"}
    router = celery_app.amqp.router
    for task, queue in (
        ("clients.tasks.sync_location", "sync"),
        ("reports.tasks.report_generate_task", "reports"),
        ("agency.webhooks.tasks.webhook_deliver", "messages"),
        ("agency.operator.tasks.usage_refresh", settings.CELERY_TASK_DEFAULT_QUEUE),
    ):
        assert router.route({}, task)["queue"].name == queue


def test_a_host_with_workers_only_serves_its_processes_counts(tmp_path):
    """Processes share PROMETHEUS_MULTIPROC_DIR; `manage.py serve_metrics` adds their counts up."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "agency.settings.test",
    }
    for _ in range(2):  # two worker processes, each counting one report sent
        code = "from agency import metrics; metrics.REPORT_SENDS.inc()"
        subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve_metrics", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"http://\S+", server.stdout.readline()).group(0)
        text = httpx.get(url, timeout=10).text
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert samples(text)[("portal_report_sends_total",)] == 2
