"""Plots in the tests go to files: the Agg backend, chosen here as the CLI chooses it (no library
module sets a backend)."""

import matplotlib

matplotlib.use("Agg")


# oct-10-2025 as it was before `cascade calibrate` fitted five of its settings (docs/calibration.md):
# thinner books (depth 0.8, 4 makers), a more leveraged crowd (median 20x) and 60% volatility.
# Mechanism tests that need the scripted fall to exhaust the backstop vault on every seed of a
# shortened run (200 traders, minutes instead of 25) run on these settings; on the fitted ones
# a crowd that small exhausts the vault on 1 of 8 seeds (the full preset still reaches ADL: see
# docs/validation.md). They test ADL's and arbitrage's mechanics, not the preset's calibration.
OCT_10_BEFORE_CALIBRATION = {
    "contracts.0.depth_scale": 0.8,
    "contracts.0.volatility": 0.6,
    "population.market_makers": 4,
    "population.leverage.median": 20.0,
    "population.capital.median": 10_000.0,
}
