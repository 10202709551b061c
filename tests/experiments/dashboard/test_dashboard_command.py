"""``cascade dashboard``: refuses a wrong scenario before any server starts; sets no backend."""

import os
import subprocess
import sys

from experiments.cli.main import build_parser, main
from experiments.dashboard.command import APP, solara_command


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
