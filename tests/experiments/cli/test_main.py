"""The ``cascade`` parser: light to build, --version, the report and bench sub-commands, the
--set syntax it documents, and the hints added to a refusal."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from importlib import metadata

import pytest

from experiments.cli.main import DEFERRED_COMMANDS, SET_EXAMPLES, build_parser, main
from experiments.cli.report import report_modules
from experiments.run.suggest import did_you_mean
from model.scenario import load_scenario, parse_overrides

HEAVY = ("pandas", "mesa", "matplotlib", "seaborn", "scipy", "SALib", "pyarrow", "rich", "model")


@pytest.mark.parametrize(
    "words",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["sensitivity", "--help"],
        ["report", "--help"],
        ["dashboard", "--help"],
        ["run", "--no-such-option"],
        ["nosuchcommand"],
    ],
    ids=" ".join,
)
def test_help_version_and_option_errors_import_nothing_heavy(words):
    code = (
        "import sys\n"
        "from experiments.cli import main\n"
        "try:\n"
        f"    main({words!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"cascade {metadata.version('perp-cascade')}\n"


def test_a_deferred_command_is_listed_with_its_own_help_line():
    full = build_parser()
    light = build_parser(["--help"])
    for name, (_, help_line) in DEFERRED_COMMANDS.items():
        for parser in (full, light):
            choices = parser._subparsers._group_actions[0]._choices_actions  # type: ignore[union-attr]
            assert [a.help for a in choices if a.dest == name] == [help_line]


@pytest.mark.parametrize("example, meaning", SET_EXAMPLES, ids=[e for e, _ in SET_EXAMPLES])
def test_the_documented_set_examples_parse_and_apply(example, meaning):
    (word,) = shlex.split(example)  # as the shell passes it
    overrides = parse_overrides([word])
    scenario = load_scenario("flash-crash", overrides)
    (key,) = overrides
    if key == "venue":
        assert scenario.venue.name == overrides[key]
        return
    flat = scenario.flat()
    value = overrides[key]
    if isinstance(value, dict):
        assert {k: flat[f"{key}.{k}"] for k in value} == value
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        assert {k: flat[f"{key}.0.{k}"] for k in value[0]} == value[0]
    else:
        assert flat[key] == value


def test_set_syntax_is_at_the_end_of_the_run_help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for example, _ in SET_EXAMPLES:
        assert f"--set {example}" in out


def _refusal(capsys, words: list[str]) -> str:
    assert main(words) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "words, hint",
    [
        (["run", "--scenario", "flash-crsh"], "did you mean 'flash-crash'?"),
        (["scenarios", "--show", "flash-crahs"], "did you mean 'flash-crash'?"),
        (["run", "--set", "population.max_leverag=20"], "did you mean 'population.max_leverage'"),
        (["run", "--set", "populaton.noise=5"], "did you mean 'population.noise'"),
        (
            ["run", "--set", 'index.shocks=[{"start": 300, "duration": 60, "change_pct": -10}]'],
            "write tables as {key=value, ...}, not JSON's",
        ),
        (
            ["sweep", "--runs", "1", "--grid", "population.noise=1,2", "--outcome", "adl_notionl"],
            "--outcome 'adl_notionl' is not a summary field; did you mean 'adl_notional'",
        ),
    ],
    ids=["scenario", "show", "setting", "prefix", "json", "outcome"],
)
def test_a_mistyped_name_gets_a_did_you_mean(capsys, tmp_path, monkeypatch, words, hint):
    monkeypatch.chdir(tmp_path)
    err = _refusal(capsys, words)
    assert err.startswith("error: ")
    assert hint in err
    assert not any(tmp_path.iterdir())  # nothing written


def test_a_name_far_from_any_gets_no_guess(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "did you mean" not in _refusal(capsys, ["run", "--scenario", "zzzzzz"])
    assert did_you_mean("zzzzzz", ["flash-crash"]) == ""


def test_every_report_with_a_main_is_a_sub_command():
    names = report_modules()
    assert {"horizons", "event-targets", "tail-pairs"} <= set(names)
    assert all(module.startswith("experiments.reports.") for module, _ in names.values())
    assert "distributions" not in names  # no main: a library module, not a report


def test_report_runs_the_reports_own_command_line(capsys, tmp_path):
    assert main(["report", "event-targets", str(tmp_path)]) == 2
    assert "runs.parquet' does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["report", "horizons", "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: cascade report horizons")


def test_an_unknown_report_is_refused_listing_the_reports(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "horizon"])
    assert exit_.value.code == 2
    assert "choose from" in capsys.readouterr().err


def test_bench_is_the_benchmarks_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cascade bench") and "--against REV" in out


def test_json_output_is_the_written_summary(capsys, tmp_path, tiny_args):
    out = tmp_path / "run"
    assert main(["run", *tiny_args, "--out", str(out), "--no-plots", "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == json.loads((out / "summary.json").read_text())
    assert not list(out.glob("*.png"))


def test_quiet_prints_nothing_and_no_plots_claims_none(capsys, tmp_path, tiny_args):
    quiet = tmp_path / "quiet"
    assert main(["run", *tiny_args, "--out", str(quiet), "--no-plots", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (quiet / "summary.json").is_file()
    assert main(["run", *tiny_args, "--out", str(tmp_path / "said"), "--no-plots"]) == 0
    out = capsys.readouterr().out
    last = f"wrote {tmp_path / 'said'}/ (summary, tables, provenance; no plots (--no-plots))"
    assert out.splitlines()[-1] == last
    assert len(out.splitlines()) < 15  # the key outcomes, not every summary field
    assert "liquidated" in out and "summary.md" in out


def test_a_run_with_adaptive_steps_says_so_and_writes_its_outputs(capsys, tmp_path):
    from experiments.cli.run import steps_text

    assert steps_text(load_scenario("calm", {})) == "1800 steps of 1 s"
    adaptive = load_scenario("calm", {"stepping.policy": "adaptive"})
    assert steps_text(adaptive) == "adaptive steps of 1 to 30 s, at most 1800"
    out = tmp_path / "run"
    settings = ["--set", "stepping.policy=adaptive", "--set", "duration=120"]
    code = main(["run", "--scenario", "calm", *settings, "--no-plots", "--out", str(out)])
    assert code == 0
    assert "adaptive steps of 1 to 30 s" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] < 120  # fewer steps than seconds
