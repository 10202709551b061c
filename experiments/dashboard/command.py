"""``cascade dashboard``: serve the live dashboard (a Solara server) and open it in a browser.

The server is a child process (``solara run``). The command owns it: a port already in use is
refused in one line before it starts, and SIGTERM or SIGINT to the command (a process manager,
a notebook, Ctrl-C) stops the server too, so no server is left holding the port.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType

from experiments.dashboard import DEFAULT_SCENARIO, SCENARIO_VARIABLE, SEED_VARIABLE

APP = Path(__file__).with_name("app.py")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STOP_GRACE = 10.0  # seconds the server has to stop after SIGTERM before it is killed


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "dashboard",
        help="live dashboard in the browser: pick a scenario, move sliders, play and step",
    )
    parser.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help="preset name or path to a .toml to open with (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    parser.add_argument(
        "--host", default="localhost", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")
    parser.set_defaults(func=main)


def solara_command(args: argparse.Namespace) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    command = [sys.executable, "-m", "solara", "run", str(APP)]
    command += ["--host", args.host, "--port", str(args.port), "--production"]
    return command + (["--no-open"] if args.no_open else [])


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port``, or None if it can.

    Every address ``host`` resolves to is bound as the server binds it (``SO_REUSEADDR``, as
    uvicorn does, so a port left in TIME_WAIT by a stopped server counts as free).
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot resolve host {host!r}: {exc.strerror}"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return f"port {port} on {host} is in use (choose another with --port)"
                if exc.errno == errno.EADDRNOTAVAIL and len(addresses) > 1:
                    continue  # e.g. ::1 on a machine without IPv6: the other address serves
                return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


class Stop(Exception):
    """A stop signal arrived while the server ran."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signum)


def serve(command: list[str], env: dict[str, str]) -> int:
    """Run the server until it exits or this process gets SIGTERM/SIGINT; then stop it.

    Returns:
        The server's exit code, or 0 when a signal stopped it.
    """
    if threading.current_thread() is not threading.main_thread():  # signals go to the main one
        return subprocess.call(command, env=env)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in STOP_SIGNALS}
    server: subprocess.Popen[bytes] | None = None
    try:
        server = subprocess.Popen(command, env=env)
        return server.wait()
    except Stop:
        return 0
    finally:
        for sig in STOP_SIGNALS:  # a second signal must not interrupt the clean-up
            signal.signal(sig, signal.SIG_IGN)
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(args: argparse.Namespace) -> int:
    from model.scenario import load_scenario  # here, not at import: --help loads no pandas

    load_scenario(args.scenario)  # a wrong name fails here, in one line, before any server starts
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    env = dict(os.environ, **{SCENARIO_VARIABLE: args.scenario})
    if args.seed is not None:
        env[SEED_VARIABLE] = str(args.seed)
    print(f"dashboard on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    return serve(solara_command(args), env)
