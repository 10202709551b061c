"""``cascade dashboard``: serve the live dashboard (a Solara server) and open it in a browser."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from experiments.dashboard import DEFAULT_SCENARIO, SCENARIO_VARIABLE, SEED_VARIABLE
from model.scenario import load_scenario

APP = Path(__file__).with_name("app.py")


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


def main(args: argparse.Namespace) -> int:
    load_scenario(args.scenario)  # a wrong name fails here, in one line, before any server starts
    env = dict(os.environ, **{SCENARIO_VARIABLE: args.scenario})
    if args.seed is not None:
        env[SEED_VARIABLE] = str(args.seed)
    print(f"dashboard on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(solara_command(args), env=env)
    except KeyboardInterrupt:
        return 0
