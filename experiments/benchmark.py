"""Kept so that ``python -m experiments.benchmark`` works; the tool is `experiments.perf.benchmark`."""

from experiments.perf.benchmark import main

if __name__ == "__main__":
    raise SystemExit(main())
