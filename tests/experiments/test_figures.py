"""The figures command's stamps and number formats (the runs themselves: `make figures`)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.figures.jobs import JOBS, band, fmt
from experiments.figures.stamp import (
    Stamp,
    read_stamp,
    source_digest,
    source_files,
    stamp_png,
    write_markdown,
)

STAMP = Stamp("python -m experiments.figures --quick", "abc123", "0" * 64)


def test_markdown_and_png_stamps_read_back(tmp_path):
    table = write_markdown(tmp_path / "t.md", "| a |\n|---|\n| 1 |", STAMP)
    assert read_stamp(table) == STAMP
    assert "`python -m experiments.figures --quick` at commit `abc123`" in table.read_text()
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(tmp_path / "p.png")
    plt.close(fig)
    assert read_stamp(tmp_path / "p.png") is None
    assert read_stamp(stamp_png(tmp_path / "p.png", STAMP)) == STAMP
    (tmp_path / "plain.md").write_text("no stamp")
    assert read_stamp(tmp_path / "plain.md") is None


def test_the_digest_covers_model_agents_and_presets(tmp_path):
    names = {p.relative_to(source_files()[0].parents[1]).as_posix() for p in source_files()}
    assert any(n.startswith("model/presets/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("agents/") for n in names)
    for folder in ("model", "agents"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.py").write_text("a = 1\n")
    before = source_digest(tmp_path)
    (tmp_path / "agents" / "x.py").write_text("a = 2\n")
    assert source_digest(tmp_path) != before
    (tmp_path / "agents" / "notes.txt").write_text("not source")
    assert source_digest(tmp_path) == source_digest(tmp_path)


def test_numbers_are_printed_readably():
    assert fmt(1234567.8) == "1,234,568"
    assert fmt(0.41234) == "0.4123"
    assert fmt(float("nan")) == "n/a"
    assert fmt(np.int64(3)) == "3"
    assert band(pd.Series(np.arange(101.0))) == "50 [5, 95]"


def test_every_job_is_named_and_documented():
    assert set(JOBS) >= {"default-run", "mc-flash-crash", "adl-policies", "benchmark"}
    assert all(job.__doc__ for job in JOBS.values())
