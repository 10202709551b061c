"""``summary.md``: a run's summary and plots, readable on its own."""

from __future__ import annotations

from pathlib import Path

from experiments.run.metrics import FIELD_MEANINGS
from experiments.run.runner import RunResult


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def write_summary_md(result: RunResult, plots: list[Path], out: Path) -> Path:
    """Write ``summary.md`` next to the plots."""
    s = result.summary
    lines = [
        f"# Run: {s['scenario']} (seed {s['seed']})",
        "",
        "| field | value | meaning |",
        "|---|---:|---|",
    ]
    lines += [f"| `{k}` | {_fmt(v)} | {FIELD_MEANINGS[k]} |" for k, v in s.items()]
    lines.append("")
    for path in plots:
        lines += [f"![{path.stem}]({path.name})", ""]
    target = out / "summary.md"
    target.write_text("\n".join(lines))
    return target
