"""Run a command in a network of its own where "PulseBack" answers at a public address over TLS.

Production settings refuse loopback, private and plain-http PulseBack addresses (agency.netguard),
and the smoke test must not loosen them. So the smoke test runs the production processes inside a
fresh network namespace (``unshare --user --net``: no privilege needed, no route to anywhere) in
which this script gives the loopback interface a public address too and serves the PulseBack
sandbox there over https, with a certificate of a throw-away authority that the processes trust through
OpenSSL's standard ``SSL_CERT_FILE``. The unchanged production code sees an ordinary public
PulseBack; nothing leaves the machine.

    unshare --user --map-root-user --net python tests/production/netns.py \
        --address 44.44.44.44 --cert cert.pem --key key.pem -- honcho ... start

Run as a script: it needs no Django (the sandbox stands alone). SIGTERM and SIGINT are passed on
to the command, whose exit code this script exits with.
"""

import argparse
import contextlib
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from clients.pulseback.sandbox import Sandbox, SandboxServer  # noqa: E402 - after the path


def network_up(address):
    """The namespace's only interface, loopback, up, with ``address`` as well as 127.0.0.1."""
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{address}/32", "dev", "lo"]):
        subprocess.run(command, check=True)


def pipe(source, target):
    """Copy bytes from ``source`` to ``target`` until either closes; then close both ways."""
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve_connection(context, client, backend_port):
    try:
        tls = context.wrap_socket(client, server_side=True)
        backend = socket.create_connection(("127.0.0.1", backend_port))
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(tls, backend), daemon=True).start()
    pipe(backend, tls)


def tls_front(address, port, cert, key, backend_port):
    """Terminate TLS on ``address:port`` and relay each connection to the sandbox on loopback."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server((address, port), backlog=64)

    def accept():
        while True:
            client, _ = listener.accept()
            threading.Thread(
                target=_serve_connection, args=(context, client, backend_port), daemon=True
            ).start()

    threading.Thread(target=accept, daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    network_up(args.address)
    sandbox = SandboxServer(Sandbox(auth_rate_limit_enabled=False)).start()
    tls_front(args.address, args.port, args.cert, args.key, sandbox.port)
    print(f"netns: PulseBack sandbox at https://{args.address}:{args.port}", flush=True)
    child = subprocess.Popen(command)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: child.send_signal(number))
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
