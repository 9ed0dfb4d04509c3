"""``manage.py pulseback_sandbox``: run the PulseBack sandbox in the foreground.

A development tool: a local emulator of PulseBack (auth, feedback API, faults,
control API under ``/__sandbox__/``). Ctrl-C stops it. It imports nothing but
the sandbox, so it needs no database.

Start-up switches (see ``clients/pulseback/sandbox/switches.py``) are given as
``--switch NAME=VALUE``, repeatable; VALUE is read as JSON when it parses
(numbers, true/false, null), else as a string::

    manage.py pulseback_sandbox --expires-in 10 --switch clock_skew=-90 \
        --switch api_429_every=20 --switch api_429_burst=3 --switch drift_target=served
"""

from __future__ import annotations

import json
import logging
import sys

from django.core.management.base import BaseCommand, CommandError

from clients.pulseback.sandbox import DEFAULT_SEED, SandboxError, check_switches, serve

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
        parser.add_argument(
            "--switch",
            action="append",
            default=[],
            dest="switches",
            metavar="NAME=VALUE",
            help="a start-up fault or config switch of the sandbox (repeatable), e.g. clock_skew=-90",
        )

    def handle(self, *args, **options) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError("--port must be between 0 and 65535")
        if options["expires_in"] < 1:
            raise CommandError("--expires-in must be at least 1 second")
        switches = self._switches(options.get("switches") or [])
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
                **switches,
            )
        except OSError as exc:
            raise CommandError(
                f"cannot start the sandbox on {options['host']}:{options['port']}: {exc}"
            ) from exc

    @staticmethod
    def _switches(pairs: list[str]) -> dict:
        switches = {}
        for pair in pairs:
            name, sep, raw = pair.partition("=")
            if not sep or not name.strip():
                raise CommandError(f"--switch takes NAME=VALUE, not {pair!r}")
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
            switches[name.strip()] = value
        if "expires_in" in switches:
            raise CommandError("give the token lifetime with --expires-in")
        try:
            check_switches(switches)
        except SandboxError as exc:
            raise CommandError(f"--switch: {exc}") from exc
        return switches

    @staticmethod
    def _setup_logging(verbosity: int) -> None:
        logger = logging.getLogger("clients.pulseback")
        level = _LEVELS.get(verbosity, logging.INFO)
        logger.setLevel(level)
        if not logger.hasHandlers():  # the project's LOGGING may already print it
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
