"""Several contracts on one venue (issue 27): each contract's own leverage cap, value signals
that load on the first contract's with a beta, market-wide news, cross-margin portfolios of a
given size drawn by contract weights, and the summary's comparison of the other contracts'
falls with the first's."""

import math

import numpy as np
import pytest

from experiments.run.measures import max_drawdown_pct
from experiments.run.metrics import null_reasons, other_contracts_drawdown
from model.fundamental import FundamentalValue, Shock, one_factor_correlation
from model.scenario import ScenarioError, load_scenario
from model.simulation import CascadeModel

ALT = {
    "symbol": "DOGE-PERP",
    "initial_price": 0.25,
    "tick_size": 0.00001,
    "lot_size": 100.0,
    "volatility": 0.9,
    "tier_table": "hyperliquid-alt10",
}


def two_contracts(**settings):
    """flash-crash on Hyperliquid's rules with BTC (40x) and an altcoin (10x)."""
    btc = {"symbol": "BTC-PERP", "initial_price": 60000.0, "volatility": 0.5}
    return load_scenario(
        "flash-crash",
        {
            "venue": "hyperliquid",
            "contracts": [btc, ALT],
            "duration": 120.0,
            "index.shocks": [],
            **settings,
        },
    )


def test_each_contract_caps_leverage_at_its_own_first_tier():
    model = CascadeModel(two_contracts(**{"population.leverage.median": 30.0}), rng=1)
    assert model.market.leverage_caps.tolist() == [40.0, 10.0]
    assert model.leverage_cap == 40.0  # a trader may want up to the highest cap
    crowd = model.population.leveraged
    wanted = np.array([t.leverage for t in crowd])
    on_btc = model.ledger.leverage[[t.account for t in crowd], 0]
    on_alt = model.ledger.leverage[[t.account for t in crowd], 1]
    assert wanted.max() > 10.0  # the draw asks for more than the altcoin allows
    assert np.array_equal(on_btc, wanted)
    assert np.array_equal(on_alt, np.minimum(wanted, 10.0))
    # and the starting positions respect it: no altcoin position above 10x its margin
    for t in crowd:
        lots = model.ledger.lots[t.account, 1]
        if lots and t.me.isolated(1):
            notional = abs(lots) * model.ledger.lot[1] * ALT["initial_price"]
            assert notional <= model.ledger.iso_margin[t.account, 1] * 10.0 * 1.05


def test_a_one_factor_model_keeps_each_volatility_and_loads_on_the_first():
    vol = np.array([2e-3, 3e-3, 4e-3])
    betas = [1.0, 1.2, 1.5]
    process = FundamentalValue(
        np.array([100.0, 50.0, 10.0]), vol, betas=betas, rng=np.random.default_rng(3)
    )
    path = np.array([process.step(float(t), 1.0) for t in range(40_000)])
    rets = np.diff(np.log(path), axis=0)
    assert rets.std(axis=0) == pytest.approx(vol, rel=0.03)
    slope = [np.cov(rets[:, c], rets[:, 0])[0, 1] / rets[:, 0].var() for c in range(3)]
    assert slope == pytest.approx(betas, abs=0.05)
    corr = one_factor_correlation(np.array(betas), vol)
    assert corr[1, 2] == pytest.approx(1.2 * 1.5 * 2e-3**2 / (3e-3 * 4e-3))
    assert np.corrcoef(rets.T)[1, 2] == pytest.approx(corr[1, 2], abs=0.02)


def test_market_wide_news_moves_each_value_by_its_beta():
    process = FundamentalValue(
        np.array([100.0, 100.0]),
        np.array([0.0, 0.0]),
        betas=[1.0, 1.5],
        shocks=[Shock(start=0.0, duration=10.0, change_pct=-10.0)],
        rng=np.random.default_rng(0),
    )
    path = np.array([process.step(float(t), 1.0) for t in range(20)])
    assert path[-1, 0] == pytest.approx(90.0)
    assert path[-1, 1] == pytest.approx(100.0 * 0.9**1.5)  # 1.5 times the log move
    # a shock that names its contracts still moves only them, by its own size
    named = FundamentalValue(
        np.array([100.0, 100.0]),
        np.array([0.0, 0.0]),
        betas=[1.0, 1.5],
        shocks=[Shock(start=0.0, duration=10.0, change_pct=-10.0, contracts=[1])],
        rng=np.random.default_rng(0),
    )
    path = np.array([named.step(float(t), 1.0) for t in range(20)])
    assert path[-1].tolist() == pytest.approx([100.0, 90.0])


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"index.betas": [1.0]}, r"index\.betas: one beta per contract"),
        ({"index.betas": [1.2, 1.0]}, r"index\.betas: .*first is 1"),
        ({"index.betas": [1.0, 3.0]}, r"index\.betas: contract 1's beta 3"),
        ({"population.contract_weights": [1.0]}, r"population\.contract_weights"),
        ({"population.contract_weights": [0.0, 0.0]}, r"population\.contract_weights"),
        ({"population.contract_weights": [1.0, -1.0]}, r"population\.contract_weights"),
    ],
)
def test_bad_multi_asset_settings_are_refused_with_the_field_named(settings, message):
    with pytest.raises(ScenarioError, match=message):
        two_contracts(**settings)


def test_cross_portfolios_hold_the_drawn_number_of_contracts_by_weight():
    three = [
        {"symbol": "A", "initial_price": 100.0, "volatility": 0.5},
        {"symbol": "B", "initial_price": 100.0, "volatility": 0.5},
        {"symbol": "C", "initial_price": 100.0, "volatility": 0.5},
    ]
    scenario = load_scenario(
        "flash-crash",
        {
            "contracts": three,
            "duration": 60.0,
            "index.shocks": [],
            "population.isolated_share": 0.5,
            "population.portfolio_contracts": 2,
            "population.contract_weights": [1.0, 1.0, 0.0],
        },
    )
    crowd = CascadeModel(scenario, rng=2).population.leveraged
    cross = [t for t in crowd if not t.me.isolated(t.contract)]
    isolated = [t for t in crowd if t.me.isolated(t.contract)]
    assert cross and isolated
    assert all(len(t.contracts) == 1 for t in isolated)
    # weight 0: never a home contract, never drawn into a portfolio
    assert all(sorted(t.contracts) == [0, 1] for t in cross)
    assert all(t.contracts[0] in (0, 1) for t in isolated)


def test_without_the_new_settings_cross_traders_hold_every_contract():
    scenario = load_scenario("cross-margin-contagion", {"duration": 60.0, "index.shocks": []})
    crowd = CascadeModel(scenario, rng=2).population.leveraged
    assert all(t.contracts == [0, 1] for t in crowd if not t.me.isolated(0))


def test_the_other_contracts_fall_is_compared_with_the_first():
    import pandas as pd

    ts = pd.DataFrame(
        {
            "mark": [100.0, 90.0, 95.0],
            "mark_1": [10.0, 7.0, 8.0],
            "mark_2": [1.0, 0.8, 0.9],
            "best_bid": [1.0] * 3,
            "best_ask": [1.0] * 3,
        }
    )
    out = other_contracts_drawdown(ts, max_drawdown_pct(ts["mark"]))
    assert out["other_contracts_median_drawdown_pct"] == pytest.approx(25.0)
    assert out["other_contracts_drawdown_over_first"] == pytest.approx(2.5)
    one = other_contracts_drawdown(ts[["mark", "best_bid", "best_ask"]], 10.0)
    assert all(math.isnan(v) for v in one.values())
    reasons = null_reasons(one, ts[["mark", "best_bid", "best_ask"]])
    assert "one contract" in reasons["other_contracts_median_drawdown_pct"]
