"""``cascade sensitivity`` warns when its sample is too small for the indices to mean anything."""

from __future__ import annotations

import pandas as pd

from experiments.batch import sensitivity as batch
from experiments.cli import sensitivity as cli
from experiments.cli.main import main


def test_the_parsers_constants_are_the_analysis_constants():
    assert cli.METHODS == batch.METHODS
    assert cli.DEFAULT_OUTCOMES == batch.DEFAULT_OUTCOMES


def test_too_few_samples_are_named_with_what_is_needed():
    sobol = cli.small_sample_warning("sobol", 2, 1)
    assert "2 Sobol base samples are too few" in sobol
    assert "--samples 512 or more (1536 points for 1 parameter)" in sobol
    morris = cli.small_sample_warning("morris", 4, 3)
    assert "--samples 10 or more (40 points for 3 parameters)" in morris
    assert cli.small_sample_warning("sobol", 512, 2) == ""
    assert cli.small_sample_warning("morris", 10, 2) == ""


def test_indices_outside_zero_one_are_named():
    indices = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "outcome": ["liquidations_notional"] * 2,
            "S1": [-11.6, 0.3],
            "ST": [26.3, 0.5],
        }
    )
    warning = cli.out_of_range_warning(indices)
    assert "a on liquidations_notional" in warning and "b on" not in warning
    assert cli.out_of_range_warning(indices.iloc[[1]]) == ""


def test_a_two_sample_sobol_run_warns_after_its_table(capsys, tmp_path, tiny_args):
    out = tmp_path / "sobol"
    code = main(
        ["sensitivity", *tiny_args, "--param", "population.long_bias=0.5:0.9", "--samples", "2",
         "--workers", "1", "--outcome", "liquidations_notional", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "warning: 2 Sobol base samples are too few" in captured.err
    assert "S1" in captured.out and (out / "indices.csv").is_file()
