"""Headers: a Content-Security-Policy on every page (scripts and styles from our own files only, no
inline handlers or style attributes), and `manage.py check --deploy` clean with production settings
(HSTS of a year with subdomains)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import host_client

ROOT = Path(__file__).resolve().parents[2]


def _policy(response):
    return dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
    )


@pytest.mark.parametrize("path", ["/", "/clients/new/", "/settings/security/", "/feedback/", "/team/"])
def test_portal_pages_carry_a_strict_policy(agency, owner, path):
    policy = _policy(host_client(agency, user=owner).get(path))

    assert policy["script-src"].split()[0] == "'self'" and "unsafe-inline" not in policy["script-src"]
    assert policy["script-src-attr"] == "'none'" and policy["style-src-attr"] == "'none'"
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


@pytest.mark.parametrize("path", ["/login/", "/password-reset/"])
def test_pages_before_sign_in_too(agency, path):
    assert "script-src 'self'" in host_client(agency).get(path)["Content-Security-Policy"]


def test_the_public_site_too(public_client):
    assert "script-src 'self'" in public_client.get("/signup/")["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


# Not portal pages: emails (read in mail clients) and the report document (rendered to PDF by
# WeasyPrint; its HTML previews are sent by the reports' views with a policy of their own).
NOT_PAGES = ("emails/", "reports/report.html", "reports/pdf/")


def _page_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if not str(path.relative_to(ROOT / "templates")).startswith(NOT_PAGES):
            yield path


@pytest.mark.parametrize("template", list(_page_templates()), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_inline_script_handlers_or_style_attributes(template):
    text = template.read_text()

    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not HANDLER.search(text), "inline event handler: use addEventListener in static/js/"
    assert not STYLE_ATTRIBUTE.search(text), "style attribute: use a class of static/css/"


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agency.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://portal@127.0.0.1:1/portal",  # never connected to by the checks
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "REDIS_URL": "redis://127.0.0.1:1/1",
    }
    for name in (
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_PRELOAD",
        "DEBUG",
    ):
        env.pop(name, None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
