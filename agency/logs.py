"""Log lines that say whose they are: the agency, location, sync run and task of each, as JSON.

``log_context(agency=..., location=..., run=...)`` binds ids for the code it wraps (a Celery task,
a sync); ``ContextFilter`` copies them onto every record logged meanwhile, and ``JsonFormatter``
writes one JSON object a line (``LOG_FORMAT=json``). The ids live in context variables, so
threads and tasks never mix theirs up; a thread started inside a context copies it with
``contextvars.copy_context().run``.
"""

import contextvars
import json
import logging
from contextlib import contextmanager
from datetime import UTC, datetime

FIELDS = ("agency", "location", "run", "task", "task_id")
_context = contextvars.ContextVar("portal_log_context", default=None)


@contextmanager
def log_context(**ids):
    """Bind ``ids`` (any of FIELDS; None values are left out) to every log line of the wrapped code."""
    unknown = set(ids) - set(FIELDS)
    assert not unknown, unknown
    token = _context.set({**_bound(), **{key: value for key, value in ids.items() if value is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def _bound():
    return _context.get() or {}


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record (``record.agency`` and so on; None when unbound)."""

    def filter(self, record):
        bound = _bound()
        for field in FIELDS:
            if not hasattr(record, field):
                setattr(record, field, bound.get(field))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the bound ids, and any traceback."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
