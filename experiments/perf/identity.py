"""Did a refactor change anything at all? Digests of every output, this tree against another.

    python -m experiments.perf.identity --against f81b976
    python -m experiments.perf.identity --save digests.json     # this tree's digests only
    python -m experiments.perf.identity --compare digests.json  # this tree against saved ones

Runs every scenario preset on seeds 1 and 2 (``--seeds``) and takes a SHA-256 digest of each
output a run produces: the time series, the event log, the cascades, the account snapshots and
the summary (without its wall-clock time). A change that must not alter behaviour leaves every
digest the same; the first difference is named (preset, seed, output). The two trees run at the
same time in fresh processes, REV from a temporary git worktree, as in `experiments.perf.equivalence`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from experiments.perf.worktree import ROOT, checkout

_RUNNER = """
import hashlib, json, sys
from experiments.run.runner import run_scenario
from model.scenario import load_scenario

def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()

def frame(df):
    # repr of floats round-trips exactly, so equal text means equal values
    return digest(df.to_csv(index=False, float_format=repr) + repr(list(df.dtypes.astype(str))))

for name in sys.argv[2].split(","):
    for seed in [int(s) for s in sys.argv[1].split(",")]:
        result = run_scenario(load_scenario(name, {}), seed)
        summary = {k: v for k, v in result.summary.items() if k != "wall_seconds"}
        out = {
            "timeseries": frame(result.timeseries),
            "events": frame(result.events),
            "cascades": frame(result.cascades),
            "accounts": frame(result.accounts),
            "summary": digest(json.dumps(summary, sort_keys=True, default=repr)),
        }
        print(json.dumps({"key": f"{name}/{seed}", "digests": out}), flush=True)
"""


def presets(tree: Path) -> list[str]:
    """The scenario presets shipped in ``tree``."""
    return sorted(p.stem for p in (tree / "model/presets/scenarios").glob("*.toml"))


def _start(tree: Path, names: list[str], seeds: list[int], tmp: Path) -> subprocess.Popen[str]:
    script = tmp / f"identity-{abs(hash(str(tree)))}.py"
    script.write_text(_RUNNER)
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.Popen(
        [sys.executable, str(script), ",".join(map(str, seeds)), ",".join(names)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(proc: subprocess.Popen[str], tree: Path) -> dict[str, dict[str, str]]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"runs in {tree} failed:\n{err[-3000:]}")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["key"]: r["digests"] for r in rows}


def digests(trees: list[Path], names: list[str], seeds: list[int]) -> list[dict]:  # type: ignore[type-arg]
    """Each tree's digests, keyed by ``preset/seed``; the trees run side by side."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        procs = [_start(tree, names, seeds, tmp) for tree in trees]
        return [_collect(p, t) for p, t in zip(procs, trees, strict=True)]


def differences(mine: dict, theirs: dict) -> list[str]:  # type: ignore[type-arg]
    """Every (run, output) whose digest differs or is missing on one side."""
    found = []
    for key in sorted(set(mine) | set(theirs)):
        if key not in mine or key not in theirs:
            found.append(f"{key}: only in {'this tree' if key in mine else 'the other'}")
            continue
        for output in sorted(set(mine[key]) | set(theirs[key])):
            if mine[key].get(output) != theirs[key].get(output):
                found.append(f"{key}: {output} differs")
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring); exit 1 when anything differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--against", metavar="REV", help="a git revision to compare with")
    group.add_argument("--save", type=Path, metavar="FILE", help="write this tree's digests")
    group.add_argument("--compare", type=Path, metavar="FILE", help="compare with saved digests")
    parser.add_argument("--seeds", default="1,2", help="comma-separated seeds (default 1,2)")
    parser.add_argument("--presets", help="comma-separated presets (default: every preset)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.presets.split(",") if args.presets else presets(ROOT)
    if args.save:
        (mine,) = digests([ROOT], names, seeds)
        args.save.write_text(json.dumps(mine, indent=1, sort_keys=True) + "\n")
        print(f"{len(mine)} runs' digests written to {args.save}")
        return 0
    if args.compare:
        theirs = json.loads(args.compare.read_text())
        (mine,) = digests([ROOT], names, seeds)
        theirs = {k: v for k, v in theirs.items() if k in mine}
    else:
        with checkout(args.against, ROOT) as other:
            mine, theirs = digests([ROOT, other], names, seeds)
    found = differences(mine, theirs)
    for line in found:
        print(line)
    n = len(mine) * 5
    print(
        f"{len(mine)} runs ({', '.join(names)} × seeds {args.seeds}), {n} outputs: "
        + ("identical" if not found else f"{len(found)} differ")
    )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
