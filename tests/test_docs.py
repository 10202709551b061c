"""The manual's figures are generated, stamped and current; its settings reference is complete;
every page is in the site's navigation."""

import re
from pathlib import Path

import pytest
import yaml

from experiments.figures.settings_reference import settings_markdown
from experiments.figures.stamp import read_stamp, source_digest
from model.scenario import Scenario, load_scenario

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
COMMANDS = {"python -m experiments.figures --quick", "python -m experiments.figures --full"}
# a snippet include or an image of docs/figures, from a page (relative) or the README (docs/...)
QUOTE = re.compile(r'--8<-- "(figures/[^"]+)"|\]\((?:docs/)?(figures/[^)\s]+)\)')
PAGES = [*sorted(p for p in DOCS.rglob("*.md") if FIGURES not in p.parents), ROOT / "README.md"]
FIGURE_FILES = sorted(p for p in FIGURES.rglob("*") if p.suffix in {".md", ".png"})


def _quoted() -> dict[str, list[str]]:
    quoted: dict[str, list[str]] = {}
    for page in PAGES:
        for snippet, image in QUOTE.findall(page.read_text()):
            quoted.setdefault(snippet or image, []).append(page.relative_to(ROOT).as_posix())
    return quoted


QUOTED = _quoted()


def test_the_docs_quote_generated_figures():
    assert any(name.endswith(".md") for name in QUOTED)
    assert any(name.endswith(".png") for name in QUOTED)


@pytest.mark.parametrize("name", sorted(QUOTED))
def test_every_quoted_figure_has_a_stamped_source_file(name):
    path = DOCS / name
    assert path.is_file(), f"{name}, quoted in {QUOTED[name]}: run `make figures`"
    assert read_stamp(path) is not None, f"{name} has no stamp: run `make figures`"


@pytest.mark.parametrize("path", FIGURE_FILES, ids=[p.name for p in FIGURE_FILES])
def test_every_generated_file_is_stamped_with_the_command(path):
    stamp = read_stamp(path)
    assert stamp is not None, path
    assert stamp.command in COMMANDS
    assert stamp.commit and len(stamp.source_digest) == 64


def test_the_figures_were_made_by_the_current_model():
    # A change to model/ or agents/ (presets included) makes the figures stale: run
    # `make figures` and commit what it writes with the change.
    current = source_digest()
    stale = sorted(
        p.relative_to(DOCS).as_posix()
        for p in FIGURE_FILES
        if (s := read_stamp(p)) and s.source_digest != current
    )
    assert not stale, f"made by another model source: {stale[:5]}; run `make figures`"


def _keys(scenario: Scenario) -> set[str]:
    def walk(node: object, prefix: str) -> set[str]:
        if isinstance(node, dict):
            return {k for key, v in node.items() for k in walk(v, f"{prefix}{key}.")}
        if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            return {k for item in node for k in walk(item, f"{prefix}N.")}
        return {prefix[:-1]}

    return walk(scenario.model_dump(), "")


def test_the_settings_reference_lists_every_key():
    page = settings_markdown()
    keys = _keys(Scenario()) | _keys(load_scenario("flash-crash"))
    keys |= _keys(load_scenario("cross-margin-contagion"))
    missing = [k for k in sorted(keys) if f"`{k}`" not in page and f"`{k}.N`" not in page]
    assert not missing
    unexplained = [line for line in page.splitlines() if line.endswith("| — |")]
    assert not unexplained, "a setting without a meaning: add a Field description"
    assert "spec §" not in page  # section citations are links to the exchange mechanics page


def _nav_pages(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_nav_pages(n) for n in node))
    if isinstance(node, dict):
        return set().union(*(_nav_pages(v) for v in node.values()))
    return set()


def test_every_page_is_in_the_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))
    nav = _nav_pages(config["nav"])
    pages = {p.name for p in DOCS.glob("*.md")} | {"settings.md", "cli.md"}  # two generated
    assert pages - nav == set()
    assert nav - pages == set()


def test_no_page_cites_the_spec_by_section_number():
    for page in PAGES:
        assert "spec §" not in page.read_text(), page.name
