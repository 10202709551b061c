"""Scenario presets, dotted-key overrides and validation errors."""

import pytest

from model.scenario import (
    Scenario,
    ScenarioError,
    available_scenarios,
    load_scenario,
    parse_overrides,
)

REQUIRED_PRESETS = {
    "calm",
    "flash-crash",
    "short-squeeze",
    "oct-10-2025",
    "cross-margin-contagion",
    "no-leverage",
}


def test_every_required_preset_ships_and_validates():
    assert REQUIRED_PRESETS <= set(available_scenarios())
    for name in available_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.description


def test_researchers_first_sweep_keys_exist_with_these_names():
    flat = Scenario().flat()
    for key in ("duration", "insurance_fund.initial", "population.max_leverage"):
        assert key in flat


def test_overrides_apply_by_dotted_key():
    s = load_scenario(
        "flash-crash",
        parse_overrides(
            [
                "duration=120",
                "index.shocks=[]",
                "insurance_fund.initial=5e5",
                "population.max_leverage=20",
                "contracts.0.initial_price=100.5",
                "venue.adl.ranking=pro_rata",
            ]
        ),
    )
    assert s.duration == 120.0
    assert s.insurance_fund.initial == 500_000.0
    assert s.population.max_leverage == 20.0
    assert s.contracts[0].initial_price == 100.5
    assert s.venue.adl.ranking == "pro_rata"
    assert s.venue.name == "binance"


def test_venue_override_switches_the_whole_preset_then_refines_it():
    s = load_scenario("flash-crash", {"venue": "okx", "venue.adl.price": "bankruptcy"})
    assert s.venue.liquidation.style == "okx"
    assert s.venue.adl.price == "bankruptcy"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"population.max_leverage": 500}, "population.max_leverage"),
        ({"duration": -5}, "duration"),
        ({"insurance_fund.initial": -1}, "insurance_fund.initial"),
        ({"venue.liquidation.style": "ftx"}, "venue.liquidation.style"),
        ({"population.nonsense": 1}, "population.nonsense"),
        ({"contracts.4.initial_price": 1}, "contracts.4"),
        ({"venue": "mtgox"}, "venue"),
    ],
)
def test_invalid_input_names_the_field(overrides, field):
    with pytest.raises(ScenarioError, match=field.split(".")[-1]):
        load_scenario("calm", overrides)


def test_shock_on_a_missing_contract_is_rejected():
    with pytest.raises(ScenarioError, match=r"index\.shocks\.0\.contracts"):
        load_scenario("calm", {"index.shocks": [{"start": 1.0, "contracts": [3]}]})


def test_malformed_set_item_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"dotted\.key=value"):
        parse_overrides(["population.max_leverage"])


def test_unknown_preset_lists_the_available_ones():
    with pytest.raises(ScenarioError, match="flash-crash"):
        load_scenario("no-such-scenario")


def test_file_path_loads(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('duration = 60.0\nvenue = "bybit"\n')
    s = load_scenario(str(path))
    assert s.name == "mine"
    assert s.venue.liquidation.style == "bybit"
    assert s.n_steps == 60


def test_flat_round_trips_through_overrides():
    s = load_scenario("cross-margin-contagion")
    again = Scenario().with_overrides(
        {k: v for k, v in s.flat().items() if not k.startswith(("contracts", "index.shocks"))}
    )
    assert again.population == s.population
