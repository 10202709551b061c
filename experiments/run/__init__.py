"""One run: `runner` (the single code path of every run), `metrics` and `stylized_facts`
(its summary), `plots` and `report` (its PNGs and ``summary.md``), and `outdir` (output
directory checks).
"""
