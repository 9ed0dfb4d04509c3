"""Production: every secret and service comes from the environment, and the portal refuses to
start without them. Nothing here falls back to a development value."""

from django.core.exceptions import ImproperlyConfigured

from agency.settings.base import *  # noqa: F403
from agency.settings.base import caches, database, env


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
CACHES = caches(env.str("REDIS_URL", default=""))

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
