"""``cascade compare``: runs or Monte Carlo experiments side by side."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade compare`` (it runs nothing, so it takes none of the common options)."""
    del common
    parser = subparsers.add_parser(
        "compare",
        help="compare runs or Monte Carlo experiments: table of differences and overlaid plots",
        description="Compare two or more run directories (cascade run) or Monte Carlo "
        "directories (cascade mc). Writes compare.md (each source's summary, its difference "
        "from the first, paired seed by seed with a 90% band for experiments on the same root "
        "seed) and overlaid PNG plots to --out (default runs/compare-<A>-<B>...). --out must "
        "not hold anything yet, unless --force.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="run or experiment directories")
    parser.add_argument("--out", default=None, help="output directory")
    parser.add_argument(
        "--force", action="store_true", help="write into a non-empty --out, replacing its files"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Write the comparison; its files are ``compare.md`` and ``compare_*.png``."""
    from rich.console import Console

    from experiments.reports.compare import RUN_SERIES, compare
    from experiments.reports.distributions import KEY_OUTCOMES
    from experiments.run.outdir import check_run_out, clear_run_files

    names = "-".join(Path(d).resolve().name for d in args.dirs)
    out = Path(args.out or Path("runs") / f"compare-{names}"[:120])
    files = ["compare.md", *RUN_SERIES, *(f"compare_{f}.png" for f in KEY_OUTCOMES)]
    check_run_out(out, args.force, files)
    clear_run_files(out, files)
    report = compare([Path(d) for d in args.dirs], out)
    Console().print(f"wrote {report} and its plots")
    return 0
