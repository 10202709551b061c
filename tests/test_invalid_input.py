"""Every bad input is one clear error before anything runs, and nothing is written.

A table of malformed inputs across the command line, scenario files, replay files and the
Python API. Each command-line case asserts the exit code (2), that stderr is one line naming the
field or file, what was wrong and what is allowed, that no simulation started, and that the
working directory is exactly as it was. Each API case asserts the `ValueError` and its message,
and that the exchange it was given is unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import experiments.run.runner
from experiments.cli import main
from model.adl import rank_binance, rank_bitmex
from model.exchange import ContractSpec, Exchange
from model.margin import (
    Tier,
    TierTable,
    bybit_liquidation_price,
    liquidation_price,
    margin_balance,
)
from model.orderbook import TimeInForce
from model.pricing import funding_rate, mark_price_binance, premium_index
from model.scenario import ScenarioError, load_scenario

NAN, INF = math.nan, math.inf


def calibration_spec(
    key: str, low: float, high: float, statistic: str = "median_spread_bps"
) -> str:
    """A calibration spec (cascade calibrate --spec) fitting one setting to one statistic."""
    return (
        'scenario = "oct-10-2025"\nduration = 600.0\n[calm]\n"index.shocks" = []\n'
        f'[[parameters]]\nkey = "{key}"\nlow = {low}\nhigh = {high}\n'
        f'[[targets]]\nstatistic = "{statistic}"\nvalue = 1.0\nsource = "chosen: a test"\n'
    )


# Files every command-line case finds in its (empty, temporary) working directory.
FILES = {
    "results": "a file, not a directory\n",
    "earlier/summary.json": "{}\n",
    "ok.csv": "time,price\n0,60000\n400,58000\n",
    "short.csv": "time,price\n0,60000\n10,59000\n",
    "late.csv": "time,price\n5,60000\n400,59000\n",
    "half.csv": "time,price\n0,30000\n400,29000\n",
    "mono.csv": "time,price\n0,60000\n5,59000\n5,58000\n400,58000\n",
    "back.csv": "time,price\n0,60000\n50,59000\n40,58000\n400,58000\n",
    "negative.csv": "time,price\n0,60000\n400,-1\n",
    "zero.csv": "time,price\n0,60000\n400,0\n",
    "text.csv": "time,price\n0,60000\n400,abc\n",
    "hole.csv": "time,price\n0,60000\n200,\n400,58000\n",
    "infinite.csv": "time,price\n0,60000\n400,inf\n",
    "badtime.csv": "time,price\n0,60000\nlater,58000\n",
    "empty.csv": "",
    "header.csv": "time,price\n",
    "onerow.csv": "time,price\n0,60000\n",
    "notime.csv": "t,price\n0,60000\n400,58000\n",
    "noprice.csv": "time\n0\n400\n",
    "twoprices.csv": "time,btc,eth\n0,60000,3000\n400,58000,2900\n",
    "syntax.toml": "duration = \n",
    "extra.toml": "duration = 600.0\nfoo = 1\n",
    "nan.toml": "duration = nan\n",
    "novenue.toml": 'venue = "nope"\n',
    "nocontracts.toml": "contracts = []\n",
    "badtier.toml": '[[contracts]]\ntier_table = "nope"\n',
    "lateshock.toml": "duration = 100.0\n[[index.shocks]]\nstart = 100.0\nduration = 10.0\n",
    # The CSV sits next to the working directory's ok.csv, not next to the TOML: a path inside a
    # TOML is read from the TOML's folder, so this one is missing.
    "sub/replay.toml": 'duration = 300.0\n[index]\nreplay = "ok.csv"\n',
    "sub/short.toml": 'duration = 300.0\n[index]\nreplay = "../short.csv"\n',
    # calibration specs (cascade calibrate --spec), each with one fault
    "cal-key.toml": calibration_spec("contracts.0.depht_scale", 0.1, 2),
    "cal-bounds.toml": calibration_spec("contracts.0.depth_scale", 2, 0.5),
    "cal-statistic.toml": calibration_spec("contracts.0.depth_scale", 0.1, 2, "spread"),
    "cal-funding.toml": calibration_spec("contracts.0.depth_scale", 0.1, 2, "funding_rate_mean"),
}

SMALL = ["--set", "population.leveraged=5", "--set", "population.noise=2"]
REPLAY = [*SMALL, "--set", "index.shocks=[]", "--set", "duration=300"]
MANY = [*SMALL, "--set", "duration=20", "--set", "index.shocks=[]", "--workers", "1"]

# (id, argv, regex the one stderr line must match after "error: ")
CLI_CASES: list[tuple[str, list[str], str]] = [
    # ---- settings ---------------------------------------------------------------------------
    ("fund-inf", ["run", "--set", "insurance_fund.initial=inf"],
     r"insurance_fund\.initial: Input should be a finite number \(got inf\)"),
    ("capital-inf", ["run", "--set", "population.capital.median=inf"],
     r"population\.capital\.median: Input should be a finite number \(got inf\)"),
    ("price-inf", ["run", "--set", "contracts.0.initial_price=inf"],
     r"contracts\.0\.initial_price: Input should be a finite number \(got inf\)"),
    ("price-nan", ["run", "--set", "contracts.0.initial_price=nan"],
     r"contracts\.0\.initial_price: Input should be a finite number \(got nan\)"),
    ("price-negative", ["run", "--set", "contracts.0.initial_price=-5"],
     r"contracts\.0\.initial_price: Input should be greater than 0 \(got -5\)"),
    ("tier-table", ["run", "--set", "contracts.0.tier_table=nope"],
     r"contracts\.0\.tier_table: must be one of \['binance-btcusdt', .*\] \(got 'nope'\)"),
    ("venue-tier-table", ["run", "--set", "venue.tier_table=nope"],
     r"venue\.tier_table: must be one of \['binance-btcusdt', .*\] \(got 'nope'\)"),
    ("max-leverage", ["run", "--set", "population.max_leverage=500"],
     r"population\.max_leverage: Input should be less than or equal to 125 \(got 500\)"),
    ("duration-below-a-step", ["run", "--set", "duration=0.4"],
     r"duration: 0\.4 s is shorter than one step of 1 s; allowed: at least one step"),
    ("duration-not-whole-steps", ["run", "--set", "duration=1.5"],
     r"duration: 1\.5 s is not a whole number of steps of 1 s; allowed: a multiple of step"),
    ("duration-zero", ["run", "--set", "duration=0"],
     r"duration: Input should be greater than 0 \(got 0\)"),
    ("step-zero", ["run", "--set", "step=0"], r"step: Input should be greater than 0 \(got 0\)"),
    ("shock-after-the-run", ["run", "--set", "duration=300"],
     (r"index\.shocks\.0: runs from 600 s to 660 s and starts at or after the end of the run.*"
     r"allowed: start \+ duration ≤ the run's duration \(300 s\)")),
    ("shock-cut-by-the-end", ["run", "--set", "duration=630"],
     r"index\.shocks\.0: runs from 600 s to 660 s and ends after the end of the run"),
    ("shock-contract", ["run", "--set", "index.shocks.0.contracts=[5]"],
     r"index\.shocks\.0\.contracts: 5 is not a contract index \(0\.\.0\)"),
    ("bool-for-number", ["run", "--set", "population.leveraged=true"],
     r"population\.leveraged: must be a number, got True"),
    ("fraction-for-count", ["run", "--set", "population.leveraged=2.5"],
     r"population\.leveraged: Input should be a valid integer"),
    ("unknown-key", ["run", "--set", "population.levered=3"],
     r"unknown setting 'population\.levered'"),
    ("key-under-a-value", ["run", "--set", "duration.x=1"],
     r"unknown setting 'duration\.x': 'duration' is a value"),
    ("list-index", ["run", "--set", "index.shocks.3.start=1"],
     r"'index\.shocks\.3': index must be 0\.\.0, got '3'"),
    ("venue", ["run", "--set", "venue=nope"], r"venue must be one of \['binance', .*got 'nope'"),
    ("venue-field", ["run", "--set", "venue.adl.ranking=nope"],
     r"venue\.adl\.ranking: Input should be 'bitmex', 'binance', 'pnl', 'pro_rata', 'haircut' or 'minimal'"),
    ("set-without-value", ["run", "--set", "foo"], r"--set expects dotted\.key=value, got 'foo'"),
    ("index-mode", ["run", "--set", "index.mode=random"],
     r"index\.mode: Input should be 'spot' or 'exogenous'"),
    ("spot-venues-zero", ["run", "--set", "spot.venues=0"],
     r"spot\.venues: Input should be greater than or equal to 1"),
    ("spot-weights-count", ["run", "--set", "index.mode=spot", "--set", "spot.weights=[1, 2]"],
     r"spot\.weights: 2 weights for 3 venues; allowed: one weight per venue"),
    ("spot-weights-zero", ["run", "--set", "spot.weights=[0, 0, 0]"],
     r"spot\.weights: .*must be ≥ 0 and not all 0"),
    ("flow-zero", ["run", "--set", "flow_shocks=[{notional=0}]"],
     r"flow_shocks\.0\.notional: .*must not be 0"),
    ("flow-contract", ["run", "--set", "flow_shocks=[{contract=3}]"],
     r"flow_shocks\.0\.contract: 3 is not a contract index \(0\.\.0\)"),
    ("flow-spot-without-venues", ["run", "--set", "index.mode=exogenous",
                                  "--set", "flow_shocks=[{market='spot'}]"],
     r"flow_shocks\.0\.market: spot orders need spot venues"),
    ("flow-after-the-run", ["run", "--set", "flow_shocks=[{start=1790}]"],
     r"flow_shocks\.0: runs from 1790 s to 1850 s, after the end of the run"),
    ("strategy-shares", ["run", "--set", "population.strategies.value_share=0.7",
                         "--set", "population.strategies.trend_share=0.5"],
     r"population\.strategies: .*value_share \+ trend_share = 1\.2; allowed: at most 1"),
    ("impact", ["run", "--set", "venue.liquidation.impact=none"],
     r"venue\.liquidation\.impact: Input should be 'book' or 'off_book'"),
    ("seed-negative", ["run", "--seed", "-3"],
     r"seed: Input should be greater than or equal to 0 \(got -3\)"),
    ("seed-not-a-number", ["run", "--seed", "x"],
     r"cascade run: argument --seed: invalid int value: 'x'"),
    ("unknown-option", ["run", "--bogus"], r"cascade: unrecognized arguments: --bogus"),
    ("unknown-command", ["nope"], r"cascade: argument COMMAND: invalid choice: 'nope'"),
    ("preset", ["run", "--scenario", "nope"], r"scenario must be one of \['calm', .*got 'nope'"),
    ("show-preset", ["scenarios", "--show", "nope"], r"scenario must be one of"),
    # ---- scenario files ---------------------------------------------------------------------
    ("toml-missing", ["run", "--scenario", "missing.toml"],
     r"scenario file 'missing\.toml' does not exist"),
    ("toml-syntax", ["run", "--scenario", "syntax.toml"],
     r"scenario file 'syntax\.toml' is not valid TOML: .*line 1"),
    ("toml-unknown-key", ["run", "--scenario", "extra.toml"],
     r"foo: Extra inputs are not permitted \(got 1\)"),
    ("toml-nan", ["run", "--scenario", "nan.toml"],
     r"duration: Input should be a finite number \(got nan\)"),
    ("toml-venue", ["run", "--scenario", "novenue.toml"], r"venue must be one of"),
    ("toml-no-contracts", ["run", "--scenario", "nocontracts.toml"],
     r"contracts: List should have at least 1 item"),
    ("toml-tier-table", ["run", "--scenario", "badtier.toml"],
     r"contracts\.0\.tier_table: must be one of"),
    ("toml-shock-at-the-end", ["run", "--scenario", "lateshock.toml"],
     r"index\.shocks\.0: runs from 100 s to 110 s and starts at or after the end of the run"),
    ("toml-replay-relative-to-the-toml", ["run", "--scenario", "sub/replay.toml", *SMALL],
     r"index\.replay: '/.*/sub/ok\.csv' does not exist"),
    ("toml-replay-found-next-to-the-toml", ["run", "--scenario", "sub/short.toml", *SMALL],
     r"index\.replay: '/.*/short\.csv' covers 0 s to 10 s but the run lasts 0 to 300 s"),
    # ---- replay files -----------------------------------------------------------------------
    ("replay-missing", ["run", *REPLAY, "--set", "index.replay=gone.csv"],
     r"index\.replay: 'gone\.csv' does not exist"),
    ("replay-empty", ["run", *REPLAY, "--set", "index.replay=empty.csv"],
     r"index\.replay: 'empty\.csv' is empty; allowed: a header 'time,<price>' and rows"),
    ("replay-header-only", ["run", *REPLAY, "--set", "index.replay=header.csv"],
     r"index\.replay: 'header\.csv' has 0 data rows; allowed: at least 2"),
    ("replay-one-row", ["run", *REPLAY, "--set", "index.replay=onerow.csv"],
     r"index\.replay: 'onerow\.csv' has 1 data rows; allowed: at least 2"),
    ("replay-no-time", ["run", *REPLAY, "--set", "index.replay=notime.csv"],
     r"index\.replay: 'notime\.csv' has no 'time' column \(columns: t, price\)"),
    ("replay-no-price", ["run", *REPLAY, "--set", "index.replay=noprice.csv"],
     r"index\.replay: 'noprice\.csv' has 0 price columns but the scenario has 1 contract"),
    ("replay-two-prices", ["run", *REPLAY, "--set", "index.replay=twoprices.csv"],
     r"index\.replay: 'twoprices\.csv' has 2 price columns but the scenario has 1 contract"),
    ("replay-repeated-time", ["run", *REPLAY, "--set", "index.replay=mono.csv"],
     (r"index\.replay: 'mono\.csv': time 5 on data row 3 does not come after 5; "
     r"allowed: strictly increasing times")),
    ("replay-time-backwards", ["run", *REPLAY, "--set", "index.replay=back.csv"],
     r"index\.replay: 'back\.csv': time 40 on data row 3 does not come after 50"),
    ("replay-negative-price", ["run", *REPLAY, "--set", "index.replay=negative.csv"],
     (r"index\.replay: 'negative\.csv': price -1 in column 'price' on data row 2; "
     r"allowed: prices > 0")),
    ("replay-zero-price", ["run", *REPLAY, "--set", "index.replay=zero.csv"],
     r"index\.replay: 'zero\.csv': price 0 in column 'price' on data row 2"),
    ("replay-text-price", ["run", *REPLAY, "--set", "index.replay=text.csv"],
     (r"index\.replay: 'text\.csv': column 'price' on data row 2 holds 'abc'; "
     r"allowed: finite numbers")),
    ("replay-missing-price", ["run", *REPLAY, "--set", "index.replay=hole.csv"],
     r"index\.replay: 'hole\.csv': column 'price' on data row 2 holds an empty cell"),
    ("replay-infinite-price", ["run", *REPLAY, "--set", "index.replay=infinite.csv"],
     r"index\.replay: 'infinite\.csv': column 'price' on data row 2 holds inf"),
    ("replay-text-time", ["run", *REPLAY, "--set", "index.replay=badtime.csv"],
     r"index\.replay: 'badtime\.csv': column 'time' on data row 2 holds 'later'"),
    ("replay-too-short", ["run", *REPLAY, "--set", "index.replay=short.csv"],
     (r"index\.replay: 'short\.csv' covers 0 s to 10 s but the run lasts 0 to 300 s; "
     r"allowed: a file covering the whole run")),
    ("replay-starts-late", ["run", *REPLAY, "--set", "index.replay=late.csv"],
     r"index\.replay: 'late\.csv' covers 5 s to 400 s"),
    ("replay-start-price", ["run", *REPLAY, "--set", "index.replay=half.csv"],
     (r"index\.replay: 'half\.csv' starts contract 0 at 30000 but contracts\.0\.initial_price is "
     r"60000; allowed: within 0\.1% \(set contracts\.0\.initial_price=30000\)")),
    ("replay-with-shocks", ["run", *SMALL, "--set", "index.replay=ok.csv", "--set", "duration=300",
                            "--set", "index.shocks.0.start=10"],
     r"index\.shocks: shocks do not apply to a replayed index"),
    # ---- output directories -----------------------------------------------------------------
    ("run-out-file", ["run", *SMALL, "--out", "results"],
     r"--out results: is a file, not a directory"),
    ("run-out-under-file", ["run", *SMALL, "--out", "results/run"],
     r"--out results/run: results is a file, so no directory can be made there"),
    ("run-out-earlier-result", ["run", *SMALL, "--out", "earlier"],
     (r"--out earlier: is not empty \(holds summary\.json: an earlier result\?\); "
     r"pass --force to overwrite it")),
    ("mc-out-file", ["mc", *MANY, "--runs", "2", "--out", "results"],
     r"--out results: is a file, not a directory"),
    ("mc-out-earlier-result", ["mc", *MANY, "--runs", "2", "--out", "earlier"],
     r"--out earlier: is not empty \(an earlier result\?\); pass --resume"),
    ("sweep-out-under-file", ["sweep", *MANY, "--runs", "1", "--grid", "population.noise=1,2",
                              "--out", "results/x"],
     r"--out results/x: results is a file"),
    # ---- experiments ------------------------------------------------------------------------
    ("mc-runs-zero", ["mc", *MANY, "--runs", "0"],
     r"runs must be a whole number of at least 1, got 0"),
    ("mc-seed-negative", ["mc", *MANY, "--runs", "2", "--seed", "-1"],
     r"--seed must be a whole number ≥ 0, got -1"),
    ("mc-scheduler", ["mc", *MANY, "--runs", "2", "--scheduler", "foo"],
     r"scheduler must be a Dask scheduler address"),
    ("mc-bad-setting", ["mc", *MANY, "--runs", "2", "--set", "duration=inf"],
     r"duration: Input should be a finite number \(got inf\)"),
    ("sweep-duplicate-value", ["sweep", *MANY, "--runs", "2",
                               "--grid", "population.max_leverage=10,10"],
     r"--grid population\.max_leverage: 10 is given twice; allowed: each value once"),
    ("sweep-duplicate-number", ["sweep", *MANY, "--runs", "2",
                                "--grid", "population.max_leverage=10,20,10.0"],
     r"--grid population\.max_leverage: 10\.0 is given twice"),
    ("sweep-unknown-key", ["sweep", *MANY, "--runs", "1", "--grid", "population.levrage=1,2"],
     r"unknown setting 'population\.levrage'"),
    ("sweep-bad-point", ["sweep", *MANY, "--runs", "1", "--grid", "duration=20,0.4"],
     r"at duration=0\.4: invalid scenario: duration: 0\.4 s is shorter than one step"),
    ("sweep-outcome", ["sweep", *MANY, "--runs", "1", "--grid", "population.noise=1,2",
                       "--outcome", "nope"],
     r"--outcome must be one of"),
    ("sensitivity-range", ["sensitivity", *MANY, "--param", "population.long_bias=0.5:0.4",
                           "--samples", "2"],
     r"--param population\.long_bias: low must be below high, got 0\.5:0\.4"),
    ("calibrate-unknown-key", ["calibrate", "--spec", "cal-key.toml", "--trials", "1"],
     r"unknown setting 'contracts\.0\.depht_scale'.*did you mean 'contracts\.0\.depth_scale'"),
    ("calibrate-bounds", ["calibrate", "--spec", "cal-bounds.toml", "--trials", "1"],
     r"parameters\.0 \(contracts\.0\.depth_scale\): bounds must have low < high, got 2\.0 ≥ 0\.5"),
    ("calibrate-statistic", ["calibrate", "--spec", "cal-statistic.toml", "--trials", "1"],
     r"targets\.0\.statistic: unknown statistic 'spread'; allowed: \['crowd_mean_leverage', "),
    ("calibrate-funding-short-run", ["calibrate", "--spec", "cal-funding.toml"],
     (r"funding_rate_mean needs a funding settlement: duration must be at least the funding "
      r"interval \(3600 s\), got 600 s")),
    ("calibrate-trials-zero", ["calibrate", "--trials", "0"], r"--trials must be at least 1, got 0"),
    ("calibrate-seeds", ["calibrate", "--seeds", "1,x"],
     r"argument --seeds: invalid comma-separated integers value: '1,x'"),
    ("calibrate-spec-missing", ["calibrate", "--spec", "missing.toml"],
     r"calibration spec 'missing\.toml' does not exist"),
    ("calibrate-out-file", ["calibrate", "--duration", "3700", "--out", "results"],
     r"--out 'results' is a file, not a directory"),
    ("sensitivity-samples", ["sensitivity", *MANY, "--param", "population.long_bias=0.5:0.9",
                             "--samples", "3"],
     r"--samples must be a power of 2 for Sobol, got 3"),
]  # fmt: skip


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()} | {
        str(p.relative_to(root)) + "/": b"" for p in root.rglob("*") if p.is_dir()
    }


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory holding `FILES`, where no simulation may start."""
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)

    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a simulation started although the input was invalid")

    monkeypatch.setattr(experiments.run.runner, "CascadeModel", no_model)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "message"), [case[1:] for case in CLI_CASES], ids=[case[0] for case in CLI_CASES]
)
def test_bad_command_line_input_is_one_line_exit_2_and_nothing_written(
    workdir, capsys, argv, message
):
    before = _snapshot(workdir)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert _one_match(message, err), f"{message!r} not in {err!r}"
    assert _snapshot(workdir) == before


def _one_match(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


# ---- the Python API -------------------------------------------------------------------------
TABLE = TierTable.preset("binance-btcusdt")


def _exchange() -> Exchange:
    exchange = Exchange([ContractSpec("BTC", 0.1, 0.001, TABLE)])
    exchange.ledger.open_account(1e6, leverage=10)
    exchange.mark[:] = 60_000.0
    return exchange


# (id, call on a fresh exchange, regex of the ValueError's message)
API_CASES: list[tuple[str, Callable[[Exchange], object], str]] = [
    ("max-leverage-nan", lambda ex: TABLE.max_leverage(NAN),
     r"notional must be a finite number, got nan"),
    ("maintenance-nan", lambda ex: TABLE.maintenance_margin(NAN),
     r"notional must be a finite number, got nan"),
    ("maintenance-array-inf", lambda ex: TABLE.maintenance_margin(np.array([1.0, INF])),
     r"notional must be finite numbers, got .*inf"),
    ("tier-for-nan", lambda ex: TABLE.tier_for(NAN), r"notional must be a finite number"),
    ("index-of-inf", lambda ex: TABLE.index_of(INF), r"notional must be a finite number"),
    ("max-notional-leverage", lambda ex: TABLE.max_notional(0.5), r"leverage must be ≥ 1"),
    ("tier-jump", lambda ex: TierTable([Tier(0, 100, 10, 0.01), Tier(100, 200, 5, 0.02, 7.0)]),
     (r"tiers\[1\]\.maint_amount 7 makes maintenance margin jump at the boundary 100 "
     r"\(from 1 to -5\); allowed: 1")),
    ("tier-nan", lambda ex: TierTable([Tier(0, 100, 10, NAN)]), r"tiers\[0\]\.mmr must be a"),
    ("liquidation-price-nan", lambda ex: liquidation_price(1, 1.0, NAN, 6_000.0, TABLE),
     r"entry_price must be a finite number, got nan"),
    ("liquidation-price-side", lambda ex: liquidation_price(0, 1.0, 60_000.0, 6_000.0, TABLE),
     r"side must be \+1 \(long\) or -1 \(short\), got 0"),
    ("margin-balance-nan", lambda ex: margin_balance(1, 1.0, 60_000.0, 6_000.0, NAN),
     r"price must be a finite number, got nan"),
    ("margin-balance-negative-qty", lambda ex: margin_balance(1, -1.0, 60_000.0, 6_000.0, 1.0),
     r"qty must be > 0"),
    ("bybit-leverage-inf", lambda ex: bybit_liquidation_price(1, 1.0, 60_000.0, INF, TABLE),
     r"leverage must be a finite number ≥ 1, got inf"),
    ("premium-nan", lambda ex: premium_index(NAN, 60_000.0, 60_000.0),
     r"impact_bid must be a finite number, got nan"),
    ("premium-index-zero", lambda ex: premium_index(60_000.0, 60_000.0, 0.0),
     r"index must be > 0, got 0\.0"),
    ("funding-inf", lambda ex: funding_rate(INF), r"avg_premium must be a finite number, got inf"),
    ("funding-cap", lambda ex: funding_rate(0.0, cap=0.0), r"cap must be > 0, got 0\.0"),
    ("mark-price-nan", lambda ex: mark_price_binance(NAN, 0.0, 0.0, 28_800.0, 0.0, 60_000.0),
     r"index must be a finite number, got nan"),
    ("rank-binance-nan", lambda ex: rank_binance(NAN, 500.0, 30.0),
     r"wallet_balance must be a finite number, got nan"),
    ("rank-bitmex-nan", lambda ex: rank_bitmex(1, 1.0, 50_000.0, NAN, 45_000.0),
     r"mark_price must be a finite number, got nan"),
    ("to-lots-negative", lambda ex: ex.to_lots(0, -1.0), r"qty must be ≥ 0, got -1\.0"),
    ("to-lots-nan", lambda ex: ex.to_lots(0, NAN), r"qty must be a finite number, got nan"),
    ("to-ticks-zero", lambda ex: ex.to_ticks(0, 0.0), r"price must be > 0, got 0\.0"),
    ("to-lots-contract", lambda ex: ex.to_lots(3, 1.0), r"contract must be 0\.\.0, got 3"),
    ("submit-price-nan", lambda ex: ex.submit(0, 0, 1, 10, NAN),  # type: ignore[arg-type]
     r"price must be a whole number of ticks > 0 \(to_ticks converts USDT\), got nan"),
    ("submit-price-float", lambda ex: ex.submit(0, 0, 1, 10, 600_000.5),  # type: ignore[arg-type]
     r"price must be a whole number of ticks > 0"),
    ("submit-lots-zero", lambda ex: ex.submit(0, 0, 1, 0, 600_000),
     r"lots must be a whole number of lots > 0, got 0"),
    ("submit-side", lambda ex: ex.submit(0, 0, 2, 10, 600_000),
     r"side must be \+1 \(buy\) or -1 \(sell\), got 2"),
    ("submit-account", lambda ex: ex.submit(7, 0, 1, 10, 600_000),
     r"owner must be an open account 0\.\.0, got 7"),
    ("market-nan-lots", lambda ex: ex.submit(0, 0, 1, NAN, None, TimeInForce.IOC),  # type: ignore[arg-type]
     r"lots must be a whole number of lots > 0, got nan"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"), [case[1:] for case in API_CASES], ids=[case[0] for case in API_CASES]
)
def test_bad_python_api_input_raises_value_error_and_changes_nothing(call, message):
    exchange = _exchange()
    ledger = exchange.ledger
    before = (ledger.wallet.copy(), ledger.lots.copy(), exchange.books[0].best_bid())
    with pytest.raises(ValueError, match=message):
        call(exchange)
    assert np.array_equal(ledger.wallet, before[0])
    assert np.array_equal(ledger.lots, before[1])
    assert exchange.books[0].best_bid() is None and exchange.books[0].best_ask() is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration": NAN}, r"duration: Input should be a finite number"),
        ({"insurance_fund.initial": -1.0}, r"insurance_fund\.initial: Input should be greater"),
        ({"index.shocks": [{"start": 5000.0}]}, r"index\.shocks\.0: runs from 5000 s"),
    ],
)
def test_load_scenario_refuses_bad_settings_with_a_scenario_error(overrides, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario("flash-crash", overrides)


def test_the_table_holds_at_least_fifty_malformed_inputs():
    assert len(CLI_CASES) + len(API_CASES) >= 50
    assert len({case[0] for case in CLI_CASES + API_CASES}) == len(CLI_CASES) + len(API_CASES)
