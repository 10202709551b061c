"""`cascade compare`: runs or Monte Carlo experiments side by side, with paired differences for
experiments on the same seeds, written as compare.md and overlaid plots."""

from __future__ import annotations

import json

import numpy as np

from experiments.batch.montecarlo import monte_carlo
from experiments.batch.sweep import sweep
from experiments.cli import main
from experiments.reports.compare import comparison_table, fmt_value, load_source


def _row(report: str, field: str) -> list[str]:
    line = next(x for x in report.splitlines() if x.startswith(f"| {field} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_two_runs_side_by_side_with_their_difference_and_overlaid_lines(
    tmp_path, tiny_args, capsys
):
    for seed in ("1", "2"):
        argv = ["run", *tiny_args, "--seed", seed, "--no-plots", "--out", str(tmp_path / seed)]
        assert main(argv) == 0
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "1"), str(tmp_path / "2"), "--out", str(out)]) == 0
    report = (out / "compare.md").read_text()
    a, b = (json.loads((tmp_path / s / "summary.json").read_text()) for s in ("1", "2"))
    cells = _row(report, "liquidations_count")
    assert cells[1:3] == [str(a["liquidations_count"]), str(b["liquidations_count"])]
    assert float(cells[3].replace(",", "")) == b["liquidations_count"] - a["liquidations_count"]
    assert "| field | 1 | 2 | 2 − 1 |" in report
    for name in ("compare_price.png", "compare_insurance_fund.png", "compare_liquidations.png"):
        assert (out / name).stat().st_size > 0
        assert f"]({name})" in report


def test_experiments_on_the_same_seeds_are_compared_seed_by_seed(tmp_path, tiny):
    low = monte_carlo("flash-crash", 4, tmp_path / "low", overrides=tiny, workers=1)
    high_settings = {**tiny, "population.max_leverage": 50}
    high = monte_carlo("flash-crash", 4, tmp_path / "high", overrides=high_settings, workers=1)
    sources = [load_source(tmp_path / "low"), load_source(tmp_path / "high")]
    table = comparison_table(sources).set_index("field")
    diffs = (high["liquidations_notional"] - low["liquidations_notional"]).to_numpy()
    lo, mid, hi = np.quantile(diffs, [0.05, 0.5, 0.95])
    expected = f"{fmt_value(mid)} [{fmt_value(lo)}, {fmt_value(hi)}] paired, 4 seeds"
    assert table.loc["liquidations_notional", "high − low"] == expected
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "low"), str(tmp_path / "high"), "--out", str(out)]) == 0
    assert (out / "compare_liquidations_notional.png").stat().st_size > 0


def test_experiments_on_other_seeds_are_not_called_paired(tmp_path, tiny):
    monte_carlo("flash-crash", 2, tmp_path / "a", overrides=tiny, workers=1, seed=1)
    monte_carlo("flash-crash", 2, tmp_path / "b", overrides=tiny, workers=1, seed=2)
    table = comparison_table([load_source(tmp_path / "a"), load_source(tmp_path / "b")])
    assert table["b − a"].str.endswith("(medians; not paired)").all()


def test_compare_refuses_what_it_cannot_compare_in_one_line(tmp_path, tiny, capsys):
    sweep(
        "flash-crash",
        {"population.max_leverage": [10, 20]},
        1,
        tmp_path / "sw",
        overrides=tiny,
        workers=1,
        report=False,
    )
    (tmp_path / "empty").mkdir()
    cases = [
        ([str(tmp_path / "empty")], "compare needs at least two directories, got 1"),
        ([str(tmp_path / "empty"), str(tmp_path / "empty")], "holds neither summary.json"),
        ([str(tmp_path / "sw"), str(tmp_path / "sw")], "is a sweep experiment"),
    ]
    for dirs, message in cases:
        capsys.readouterr()
        assert main(["compare", *dirs, "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "compare.md").exists()
