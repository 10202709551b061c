"""Kept so that ``python -m experiments.equivalence`` works; the tool is `experiments.perf.equivalence`."""

from experiments.perf.equivalence import main

if __name__ == "__main__":
    raise SystemExit(main())
