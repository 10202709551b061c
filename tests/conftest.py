"""Plots in the tests go to files: the Agg backend, chosen here as the CLI chooses it (no library
module sets a backend)."""

import matplotlib

matplotlib.use("Agg")
