"""One run: `runner` (the single code path of every run), `metrics` and `stylized_facts`
(its summary), `plots` and `report` (its PNGs and ``summary.md``), `outdir` (output directory
checks) and `provenance` (what a run directory records about where it came from).
"""
