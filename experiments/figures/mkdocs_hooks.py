"""MkDocs hooks (``mkdocs.yml``): pages generated when the docs are built.

- ``settings.md``: the settings reference, from the scenario's pydantic models
  (`experiments.figures.settings_reference`).
- ``cli.md``: only while ``docs/cli.md`` (the command line reference) does not exist yet, a
  page saying so, so that the navigation's link resolves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

# document this checkout's code, whatever else the environment has installed
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from experiments.figures.settings_reference import settings_markdown

CLI_PENDING = (
    "# Command line reference\n\n"
    "This page is being written. Meanwhile `cascade --help` and `cascade COMMAND --help` print "
    "every option, and [Inputs, checks and reports](running.md) says what is checked before "
    "a run.\n"
)


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages to the site's files."""
    files.append(File.generated(config, "settings.md", content=settings_markdown()))
    if files.get_file_from_path("cli.md") is None:
        files.append(File.generated(config, "cli.md", content=CLI_PENDING))
    return files
