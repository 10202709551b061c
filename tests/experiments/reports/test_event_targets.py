"""The 2025-10-10 target table: median and band per target, hit only when the median is in
range, undefined runs counted as outside."""

import numpy as np
import pandas as pd

from experiments.reports.event_targets import TARGETS, main, target_table


def runs_with(values):
    """A runs table where every target field takes ``values`` (one per run)."""
    return pd.DataFrame({t.field: values for t in TARGETS})


def test_a_target_is_hit_when_the_median_is_in_its_range():
    frame = runs_with(np.linspace(0.3, 0.45, 20))
    frame["first_adl_delay_seconds"] = np.linspace(10.0, 50.0, 20)  # median 30: in [30, 120]
    frame["liquidations_before_first_adl_share"] = 0.4  # event 1.1%: a miss
    table = target_table(frame).set_index("field")
    assert table.loc["adl_liquidation_ratio", "hit"] == "hit"
    assert table.loc["adl_liquidation_ratio", "runs in range"] == "20 of 20"
    assert table.loc["first_adl_delay_seconds", "hit"] == "hit"
    assert table.loc["first_adl_delay_seconds", "runs in range"] == "10 of 20"  # 31.05 up
    assert table.loc["liquidations_before_first_adl_share", "hit"] == "miss"
    assert table.loc["adl_liquidation_ratio", "event"] == "0.381"  # $2.10B / $5.51B
    assert table.loc["basis_within_1pct_seconds", "event"] == "—"


def test_undefined_runs_are_outside_the_range_and_leave_no_median():
    frame = runs_with(np.full(4, 0.3))
    frame.loc[0, "adl_median_leverage"] = np.nan  # a run without ADL
    row = target_table(frame).set_index("field").loc["adl_median_leverage"]
    assert row["runs in range"] == "3 of 4"
    assert row["median"] == "n/a" and row["hit"] == "miss"
    assert row["90% band"] == "1 of 4 runs undefined"


def test_the_command_prints_the_table(tmp_path, capsys):
    runs_with(np.full(3, 0.3)).assign(status="ok").to_parquet(tmp_path / "runs.parquet")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ADL / liquidated notional" in out and "hit" in out
    assert main([str(tmp_path / "nowhere")]) == 2


def test_runs_on_several_contracts_add_the_altcoin_and_portfolio_rows():
    frame = runs_with(np.full(5, 0.3))
    assert "other_contracts_drawdown_over_first" not in set(target_table(frame)["field"])
    frame["other_contracts_median_drawdown_pct"] = 12.0
    frame["other_contracts_drawdown_over_first"] = [0.9, 1.1, 1.2, 1.3, 1.4]
    frame["adl_multi_contract_share"] = 0.25
    table = target_table(frame).set_index("field")
    assert table.loc["other_contracts_drawdown_over_first", "hit"] == "hit"  # median 1.2 > 1
    assert table.loc["other_contracts_drawdown_over_first", "runs in range"] == "4 of 5"
    assert table.loc["adl_multi_contract_share", "hit"] == "reported"
    assert table.loc["adl_multi_contract_share", "median"] == "0.25"
    frame["other_contracts_drawdown_over_first"] = 1.0  # as far as BTC: not further
    table = target_table(frame).set_index("field")
    assert table.loc["other_contracts_drawdown_over_first", "hit"] == "miss"
