"""Did an optimisation change the model's results? Summary distributions before and after.

    python -m experiments.perf.equivalence --against 63b7734 --seeds 50 --scenario flash-crash
    python -m experiments.perf.equivalence --with stepping.policy=adaptive --seeds 50

Runs the scenario on seeds 1..N (or from ``--first-seed``) with this tree and with REV (checked
out in a temporary git worktree, both in fresh processes, side by side), or, without
``--against``, with this tree as it is and with the settings of ``--with`` (adaptive steps
against fixed ones), then compares every numeric summary field the two have in common with a
two-sample Kolmogorov–Smirnov test and a Mann–Whitney U test. Where
an optimisation must not change behaviour the runs are identical and every p-value is 1; where it
deliberately does (makers that amend quotes keep queue priority), the question is whether the
distributions still agree. With many fields some small p-values come by chance, so the table
also gives Holm's adjusted p-value (family-wise error over all fields and both tests).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.figures.stamp import Stamp, git_commit, source_digest
from experiments.options import SET_HELP, add_set_option
from experiments.perf.worktree import ROOT, checkout
from model.overrides import parse_overrides
from model.scenario import ScenarioError, load_scenario

IGNORED = {"seed", "wall_seconds", "steps"}  # bookkeeping, not model output

_RUNNER = """
import json, sys
try:  # the layout since issue 12; older revisions keep the runner at experiments.runner
    from experiments.run.runner import run_scenario
except ImportError:
    from experiments.runner import run_scenario
from model.scenario import load_scenario
name, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
settings = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
scenario = load_scenario(name, settings)
for seed in range(first, last + 1):
    summary = run_scenario(scenario, seed).summary
    print(json.dumps(summary, default=float), flush=True)
"""


def _start(
    tree: Path,
    scenario: str,
    seeds: int,
    tmp: Path,
    settings: dict[str, Any] | None = None,
    first: int = 1,
) -> subprocess.Popen[str]:
    script = tmp / f"runner-{abs(hash(str(tree)))}.py"
    script.write_text(_RUNNER)
    env = dict(os.environ, PYTHONPATH=str(tree))
    args = [scenario, str(first), str(first + seeds - 1)]
    args += [json.dumps(settings)] if settings else []
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(proc: subprocess.Popen[str]) -> pd.DataFrame:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"runs failed:\n{err[-2000:]}")
    return pd.DataFrame([json.loads(line) for line in out.splitlines() if line.startswith("{")])


def run_both(
    scenario: str,
    seeds: int,
    against: str,
    common: dict[str, Any] | None = None,
    first: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summaries of seeds ``first``..``first + seeds − 1`` on this tree and on REV (the two run
    at the same time), both with the settings ``common``."""
    with tempfile.TemporaryDirectory() as tmp_name, checkout(against, ROOT) as other:
        tmp = Path(tmp_name)
        procs = [
            _start(ROOT, scenario, seeds, tmp, common, first),
            _start(other, scenario, seeds, tmp, common, first),
        ]
        mine, theirs = (_collect(p) for p in procs)
    return mine, theirs


def run_settings(
    scenario: str,
    seeds: int,
    changed: dict[str, Any],
    common: dict[str, Any] | None = None,
    first: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summaries of seeds ``first``..``first + seeds − 1`` on this tree with the settings
    ``changed`` and without (side by side), both with ``common``."""
    base = common or {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        procs = [
            _start(ROOT, scenario, seeds, tmp, {**base, **changed}, first),
            _start(ROOT, scenario, seeds, tmp, base, first),
        ]
        with_settings, without = (_collect(p) for p in procs)
    return with_settings, without


def compare(after: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """One row per numeric field: medians, KS and Mann–Whitney p-values, Holm-adjusted."""
    rows = []
    for field in sorted(set(after.columns) & set(before.columns) - IGNORED):
        a = pd.to_numeric(after[field], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(before[field], errors="coerce").to_numpy(dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) < 5 or len(b) < 5:
            continue
        if np.array_equal(np.sort(a), np.sort(b)):
            ks_p = mw_p = 1.0
        else:
            ks_p = float(stats.ks_2samp(a, b).pvalue)
            mw_p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        rows.append(
            {
                "field": field,
                "median_before": float(np.median(b)),
                "median_after": float(np.median(a)),
                "ks_p": ks_p,
                "mw_p": mw_p,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    p = np.concatenate([table["ks_p"].to_numpy(), table["mw_p"].to_numpy()])
    adjusted = _holm(p)
    n = len(table)
    table["ks_p_holm"] = adjusted[:n]
    table["mw_p_holm"] = adjusted[n:]
    return table


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def to_markdown(
    table: pd.DataFrame, scenario: str, seeds: int, against: str, first: int = 1
) -> str:
    """The comparison as a Markdown table with a one-line verdict (``against``: what the runs
    are compared with, a revision or a description)."""
    seed_range = f"seeds {first}–{first + seeds - 1}"
    lines = [
        f"Summary fields of `{scenario}`, {seed_range}, this tree against {against}.",
        "",
        "| field | median before | median after | KS p | MW p | KS p (Holm) | MW p (Holm) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.field} | {_num(r.median_before)} | {_num(r.median_after)} | {r.ks_p:.3f} | "
            f"{r.mw_p:.3f} | {r.ks_p_holm:.3f} | {r.mw_p_holm:.3f} |"
        )
    raw = int(((table["ks_p"] < 0.05) | (table["mw_p"] < 0.05)).sum())
    held = int(((table["ks_p_holm"] < 0.05) | (table["mw_p_holm"] < 0.05)).sum())
    verdict = (
        f"{len(table)} fields; {raw} with a raw p < 0.05 in either test (about "
        f"{0.05 * 2 * len(table):.0f} expected by chance if nothing changed), {held} after "
        "Holm's correction."
    )
    lines += ["", verdict]
    return "\n".join(lines) + "\n"


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.4g}"


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with")
    parser.add_argument(
        "--with",
        dest="changed",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="without --against: settings of the 'after' runs, compared with this tree as it is",
    )
    add_set_option(parser, SET_HELP + ", before and after")
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="the first seed (default 1; e.g. 101 for a held-out range after 1–50)",
    )
    parser.add_argument("--scenario", default="flash-crash")
    parser.add_argument("--out", type=Path, help="write the table (Markdown) and both CSVs here")
    args = parser.parse_args(argv)
    if args.seeds < 5:
        parser.error("--seeds must be ≥ 5 for the tests to mean anything")
    if args.first_seed < 0:
        parser.error("--first-seed must be ≥ 0")
    if (args.against is None) == (not args.changed):
        parser.error("give either --against REV or --with KEY=VALUE (the settings compared)")
    try:
        common = parse_overrides(args.overrides)
        changed = parse_overrides(args.changed)
        load_scenario(args.scenario, {**common, **changed})
    except (ValueError, ScenarioError) as exc:
        parser.error(str(exc))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still remove the worktree
    if args.against is not None:
        after, before = run_both(args.scenario, args.seeds, args.against, common, args.first_seed)
        against = f"`{args.against}`"
    else:
        after, before = run_settings(args.scenario, args.seeds, changed, common, args.first_seed)
        against = "itself without " + ", ".join(f"`{o}`" for o in args.changed)
    if args.overrides:
        against += " (every run: " + ", ".join(f"`{o}`" for o in args.overrides) + ")"
    table = compare(after, before)
    text = to_markdown(table, args.scenario, args.seeds, against, args.first_seed)
    stamp = Stamp(
        "python -m experiments.perf.equivalence " + " ".join(argv or sys.argv[1:]),
        git_commit(ROOT),
        source_digest(ROOT),
    )
    text += "\n" + stamp.line() + "\n"
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "equivalence.md").write_text(text)
        after.to_csv(args.out / "after.csv", index=False)
        before.to_csv(args.out / "before.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
