"""What researchers do with the model, in layers; each imports only from the layers above it.

* `experiments.run`: one run: the runner (the single code path of every run), its metrics and
  stylized facts, its plots, ``summary.md``, its provenance and output directory checks.
* `experiments.reports`: tables and plots over many runs (distributions, sensitivity indices,
  the ADL policy study, runs or experiments compared side by side).
* `experiments.batch`: many runs: the executor (this process, local processes or Dask), the
  journal, the experiment engine, and the three kinds built on it (Monte Carlo, sweep,
  sensitivity analysis).
* `experiments.cli`: the ``cascade`` command line, one module per sub-command (``report``
  runs the reports' and the benchmark's own command lines).
* `experiments.perf`: the speed benchmark and the before/after equivalence check (developer
  tools; ``cascade bench`` or ``python -m experiments.perf.benchmark``, and
  ``python -m experiments.perf.equivalence``).
"""
