"""``manage.py pulseback_sandbox``: run the PulseBack sandbox in the foreground.

A development tool: a local emulator of PulseBack (auth, feedback API, faults,
control API under ``/__sandbox__/``). Ctrl-C stops it. It imports nothing but
the sandbox, so it needs no database.
"""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand, CommandError

from clients.pulseback.sandbox import DEFAULT_SEED, serve

_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}


class Command(BaseCommand):
    help = "Run the PulseBack sandbox (a local development emulator of PulseBack) until Ctrl-C."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated data")
        parser.add_argument(
            "--expires-in", type=int, default=3600, dest="expires_in", help="access token lifetime in seconds"
        )

    def handle(self, *args, **options) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError("--port must be between 0 and 65535")
        if options["expires_in"] < 1:
            raise CommandError("--expires-in must be at least 1 second")
        self._setup_logging(options.get("verbosity", 1))
        if options["host"] not in ("127.0.0.1", "::1", "localhost"):
            self.stderr.write(
                f"warning: the sandbox listens on {options['host']}, beyond loopback; "
                "it has no real security."
            )
        try:
            serve(
                host=options["host"],
                port=options["port"],
                seed=options["seed"],
                expires_in=options["expires_in"],
            )
        except OSError as exc:
            raise CommandError(
                f"cannot start the sandbox on {options['host']}:{options['port']}: {exc}"
            ) from exc

    @staticmethod
    def _setup_logging(verbosity: int) -> None:
        logger = logging.getLogger("clients.pulseback")
        level = _LEVELS.get(verbosity, logging.INFO)
        logger.setLevel(level)
        if not logger.hasHandlers():  # the project's LOGGING may already print it
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
