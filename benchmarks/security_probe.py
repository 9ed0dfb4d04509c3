"""Try the front door as an attacker would, against a real server on loopback, and print what got
through:

- wrong passwords one account may try in a minute before it is locked (target: at most 10), and
  whether the right password still works right after;
- sign-ups one address gets accepted in an hour (target: at most 5);
- password-reset mails one account receives in an hour (target: at most 3).

The portal runs as `manage.py runserver` (development settings: the limits are the production
defaults) in a database of its own on the embedded PostgreSQL (or DATABASE_URL's server), with a
cache database of its own in the embedded Redis and emails written to a temporary folder; all are
dropped at the end. Exits non-zero when a figure is over its target.

    python benchmarks/security_probe.py [--attempts 60]
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from _setup import ROOT
from many_tenants import bench_database

SLUG, OWNER, PASSWORD = "probe", "owner@probe.test", "Probe-front-door-1"
CACHE_DB = 7  # a Redis database of its own (the demo's cache is 1)
TARGETS = {"wrong passwords per account per minute": 10, "sign-ups per address per hour": 5,
           "reset mails per account per hour": 3}  # fmt: skip


class Browser:
    """Just enough of a browser: one host, cookies, the CSRF token of the last form."""

    def __init__(self, port, host):
        self.port, self.host, self.cookies = port, host, SimpleCookie()

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": self.host, "Cookie": "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            token = self.cookies.get("csrftoken")
            body = urlencode({**form, "csrfmiddlewaretoken": token.value if token else ""})
            origin = f"http://{self.host}"
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                            "Referer": origin + path})  # fmt: skip
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        for value in answer.headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        text = answer.read().decode(errors="replace")
        connection.close()
        return answer.status, text

    def post_form(self, path, form):
        self.request("GET", path)
        return self.request("POST", path, form)


def wrong_passwords(port, attempts):
    """Wrong passwords checked in the first minute (the one that locks included: it was checked too),
    and the answer to the right password right after."""
    browser, checked, started = Browser(port, f"{SLUG}.localhost:{port}"), 0, time.monotonic()
    for n in range(attempts):
        if time.monotonic() - started > 60:
            break
        status, page = browser.post_form("/login/", {"username": OWNER, "password": f"guess-{n}"})
        checked += status == 429 or "correct email and password" in page
        if status == 429:
            break
    status, _page = browser.post_form("/login/", {"username": OWNER, "password": PASSWORD})
    return checked, status


def sign_ups(port, attempts):
    browser, accepted = Browser(port, f"localhost:{port}"), 0
    for n in range(attempts):
        form = {"name": f"Probe Agency {n}", "slug": f"probe-agency-{n}", "owner_email": f"p{n}@probe.test",
                "password1": PASSWORD, "password2": PASSWORD}  # fmt: skip
        status, page = browser.post_form("/signup/", form)
        accepted += status == 200 and "Check your email" in page
    return accepted


def reset_mails(port, attempts, mail_dir):
    browser = Browser(port, f"{SLUG}.localhost:{port}")
    for _ in range(attempts):
        browser.post_form("/password-reset/", {"email": OWNER})
    pattern = re.compile(rf"^To: {re.escape(OWNER)}$", re.M)
    return sum(bool(pattern.search(path.read_text(errors="replace"))) for path in Path(mail_dir).iterdir())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port, process):
    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError("the web server exited")
        try:
            status, _ = Browser(port, f"localhost:{port}").request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the web server did not answer")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=60, help="tries of each kind (default 60)")
    args = parser.parse_args()
    name = f"probe_front_door_{os.getpid()}"
    server, url = bench_database(name)
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    from agency import embedded

    sock = str(embedded.redis_socket())
    port, mail_dir = free_port(), tempfile.mkdtemp(prefix="probe-mail-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.dev", "DATABASE_URL": url,
           "CELERY_BROKER_URL": f"redis+socket://{sock}", "REDIS_URL": f"unix://{sock}?db={CACHE_DB}",
           "PORTAL_PORT": str(port), "EMAIL_FILE_PATH": mail_dir, "LOG_LEVEL": "ERROR"}  # fmt: skip
    import redis

    cache = redis.Redis(unix_socket_path=sock, db=CACHE_DB)
    cache.flushdb()
    process = None
    try:
        python = [sys.executable, "manage.py"]
        subprocess.run([*python, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        create = ["create_agency", "--slug", SLUG, "--name", "Probe", "--owner-email", OWNER,
                  "--owner-password", PASSWORD]  # fmt: skip
        subprocess.run([*python, *create], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        process = subprocess.Popen(
            [*python, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(port, process)
        figures = {}
        figures["wrong passwords per account per minute"], after = wrong_passwords(port, args.attempts)
        figures["sign-ups per address per hour"] = sign_ups(port, args.attempts)
        figures["reset mails per account per hour"] = reset_mails(port, args.attempts, mail_dir)
    finally:
        if process is not None:
            process.terminate()
            process.wait()
        cache.flushdb()
        shutil.rmtree(mail_dir, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"front door probe on 127.0.0.1:{port} ({server}), {args.attempts} tries of each kind in a burst:")
    over = False
    for label, value in figures.items():
        target = TARGETS[label]
        over |= value > target
        print(f"  {label:<42} {value:>3}   (target: at most {target}) {'OK' if value <= target else 'OVER'}")
    print(f"  the right password right after the lockout: {'refused (429)' if after == 429 else after}")
    sys.exit(1 if over or after != 429 else 0)


if __name__ == "__main__":
    main()
