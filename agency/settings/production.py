"""Production: every secret and service comes from the environment, and the portal refuses to
start without them. Nothing here falls back to a development value."""

from django.core.exceptions import ImproperlyConfigured

from agency.settings.base import *  # noqa: F403
from agency.settings.base import BASE_DIR, MIDDLEWARE, STORAGES, caches, database, env


def _required(name):
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set. It is required in production. See .env.example.")
    return value


SECRET_KEY = _required("SECRET_KEY")
# Fernet keys, comma separated: the first encrypts, any of them decrypts (rotation).
CREDENTIALS_KEYS = _required("CREDENTIALS_KEYS").split(",")
DATABASES = {"default": database(env.db_url_config(_required("DATABASE_URL")))}
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")
CACHES = caches(_required("REDIS_URL"))

# Static files: `manage.py collectstatic` gathers them in STATIC_ROOT, compressed (gzip, Brotli) and
# with content-hashed names; WhiteNoise serves them from the app, those names cached for a year.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MIDDLEWARE = [
    *MIDDLEWARE[: MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1 :],
]

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# HSTS: a year, subdomains included (every agency lives on one), preload-ready.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
