"""Browser tests: a real headless Chromium against the real stack.

The portal runs as it does in production, in processes of its own: the web
server (``runserver``) and a Celery worker, on this run's test database and a
queue of its own, with the PulseBack sandbox. What they must see is committed
(not inside a test's rolled-back transaction), so these tests work in agencies
of their own (slugs starting with ``e2e``), dropped at the end.

Chromium comes from the system (Debian's ``chromium`` package); nothing is
downloaded. Without it these tests are skipped with a message, unless
``PORTAL_REQUIRE_BROWSER`` is set (CI sets it): then they fail.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from agency.models import Agency
from tests.conftest import committed

# Playwright's sync API keeps an event loop in this thread; Django's ORM would then refuse to
# run here (it takes the loop for an async context). These tests only touch the ORM in
# fixtures, never concurrently with the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db)  # so that this run's test database is set up


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        message = (
            f"no Chromium at {CHROMIUM}: browser tests need Debian's chromium package "
            "(apt-get install chromium), or PORTAL_CHROMIUM=/path/to/chromium"
        )
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url, proc, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the portal's web server exited"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.fixture(scope="session")
def portal(django_db_setup, django_db_blocker, chromium_path, sandbox_server, tmp_path_factory):
    """The portal's web server and a worker on this run's test database; yields its base URL parts."""
    port = _free_port()
    db = settings.DATABASES["default"]
    mail_dir = tmp_path_factory.mktemp("mail")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agency.settings.dev",
        "DATABASE_URL": f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}",
        "PULSEBACK_SANDBOX_ENABLED": "1",
        "PULSEBACK_SANDBOX_URL": sandbox_server.url,  # the add-client form's defaults
        "PORTAL_PORT": str(port),
        "CELERY_TASK_DEFAULT_QUEUE": f"e2e-{os.getpid()}",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    web = [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    worker = [python, "-m", "celery", "-A", "agency", "worker", "--pool", "solo", "-l", "WARNING"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=env) for command in (web, worker)]
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", procs[0])
        yield {"port": port, "mail_dir": mail_dir, "sandbox": sandbox_server}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        with django_db_blocker.unblock():
            committed(
                lambda: [a.delete(force_drop=True) for a in Agency.objects.filter(slug__startswith="e2e")]
            )


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name):
    """Keep a screenshot of a main page as a test artefact (artifacts/screenshots/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


PASSWORD = "Lighthouse-orchid-58"


def sign_up(page, port, slug, name):
    page.goto(f"http://localhost:{port}/signup/")
    page.get_by_label("Agency name").fill(name)
    page.get_by_label("Workspace address").fill(slug)
    page.get_by_label("Your name").fill("Erin Example")
    page.get_by_label("Your work email").fill(f"erin@{slug}.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create workspace").click()


def log_in(page, email, password=PASSWORD):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
