"""``cascade dashboard``: refuses a wrong scenario or a busy port in one line before any server
starts, sets no matplotlib backend, and takes its server down with it on SIGTERM or SIGINT."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from experiments.cli.main import build_parser, main
from experiments.dashboard.command import APP, port_problem, solara_command

ROOT = Path(__file__).parents[3]
START_TIMEOUT = 120.0  # seconds for the server to answer (a busy 2-core machine is slow)


def test_a_wrong_scenario_is_refused_in_one_line(capsys):
    assert main(["dashboard", "--scenario", "nope", "--no-open"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: scenario must be one of")
    assert len(err.strip().splitlines()) == 1


def test_the_command_serves_the_app_with_solara():
    args = build_parser().parse_args(["dashboard", "--port", "9001", "--no-open"])
    command = solara_command(args)
    assert command[:5] == [sys.executable, "-m", "solara", "run", str(APP)]
    assert command[command.index("--port") + 1] == "9001"
    assert "--no-open" in command


def test_importing_the_dashboard_leaves_matplotlibs_backend_alone():
    code = (
        "import experiments.dashboard.app, experiments.dashboard.command, experiments.cli\n"
        "import matplotlib; print(matplotlib.get_backend())"
    )
    env = dict(os.environ, MPLBACKEND="svg")
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"


def busy_port() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener, int(listener.getsockname()[1])


def test_a_busy_port_is_refused_in_one_line_before_any_server_starts(capsys):
    listener, port = busy_port()
    with listener:
        code = main(["dashboard", "--host", "127.0.0.1", "--port", str(port), "--no-open"])
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""  # no URL is announced for a server that cannot start
    assert err == f"error: port {port} on 127.0.0.1 is in use (choose another with --port)\n"


def test_a_free_port_has_no_problem():
    listener, port = busy_port()
    listener.close()
    assert port_problem("127.0.0.1", port) is None


def wait_until_served(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert proc.poll() is None, f"dashboard exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            assert time.monotonic() < deadline, f"dashboard did not answer in {START_TIMEOUT} s"
            time.sleep(0.5)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_to_the_command_stops_its_server_and_frees_the_port(stop):
    listener, port = busy_port()
    listener.close()
    command = [sys.executable, "-m", "experiments.cli", "dashboard", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-open"]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: what is left of it can be found
    )
    try:
        wait_until_served(proc, f"http://127.0.0.1:{port}/")
        os.kill(proc.pid, stop)  # the command only, as a process manager does
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 60
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_alive(proc.pid), "the solara server outlived the command"
        assert port_problem("127.0.0.1", port) is None
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
