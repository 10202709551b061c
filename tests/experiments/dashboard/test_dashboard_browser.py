"""The dashboard in a real headless browser: Debian's chromium, driven by Playwright.

``cascade dashboard`` serves the page; the test loads it in a 1400x1000 window (the order book in
view, none of Mesa's tabs or boxes), reads the controls' values without focusing them, steps
the model and watches the plots change, moves a slider and types an amount and presses Reset to
see the model rebuilt with them, saves the screenshot the README shows (docs/img/dashboard.png),
plays and pauses, switches preset and presses Reset (the preset, not a default model, comes
back), plays a run to its last step, and picks a preset without a shock.

The browser is required, never skipped: `.ci/run` installs chromium where it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.browser
expect.set_options(timeout=60_000)  # for the page to react: seven figures on a busy machine

ROOT = Path(__file__).parents[3]
SCREENSHOT = ROOT / "docs" / "img" / "dashboard.png"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
START_TIMEOUT = 120.0  # seconds for the server to answer (a busy 2-core machine is slow)
WAIT_MS = 60_000  # for clicks and waits, as for `expect` above
RUN_MS = 600_000  # for a whole run played to its end on a busy machine
WIDTH, HEIGHT = 1400, 1000  # the window the reader had
PICTURE_HEIGHT = 1240  # the README's picture: every panel


def chromium() -> str:
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no chromium on PATH: install Debian's (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cascade dashboard`` on a free port, stopped (with its solara child) at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    command = [sys.executable, "-m", "experiments.cli", "dashboard", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-open", "--scenario", "flash-crash", "--seed", "1"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"dashboard did not answer in {START_TIMEOUT:g} s:\n{log.read_text()}"
                    )
                time.sleep(0.5)
        yield url
        # the page's JavaScript and CSS come from solara-assets, never from the network; no
        # error was printed by the server (SolaraViz prints a step's traceback and carries on)
        text = log.read_text()
        assert "Could not load URL" not in text, text
        assert "Traceback" not in text, text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and the solara server it started
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(WAIT_MS)
        page.goto(server)
        yield page
        browser.close()


def summary(page: Page) -> str:
    return page.locator(".summary-panel").inner_text()


def first_plot(page: Page) -> str:
    return str(page.locator("img").first.get_attribute("src"))


def setting(page: Page, label: str):
    """A control's block in the sidebar: its label, its value as shown, the control."""
    return page.locator(".setting", has_text=label)


def slider(page: Page, label: str):
    return setting(page, label).get_by_role("slider")


def shown(page: Page, label: str):
    return setting(page, label).locator(".setting-value")


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def pick(page: Page, preset: str) -> None:
    page.get_by_role("button", name="Scenario preset").click()
    page.get_by_role("option", name=preset, exact=True).click()


def test_the_page_loads_with_the_model_at_step_zero(page: Page):
    expect(page.get_by_text("flash-crash: step 0 of 1800")).to_be_visible()
    expect(page.locator("img")).to_have_count(6)  # six plots beside the summary
    expect(page.get_by_text("population.long_bias = 0.75")).to_be_visible()


def test_the_order_book_is_in_view_and_mesas_chrome_is_gone(page: Page):
    book = page.locator(".book-panel img")
    expect(book).to_be_in_viewport(ratio=1.0)  # the whole plot, without scrolling
    box = book.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= HEIGHT
    assert box["x"] + box["width"] <= WIDTH
    expect(page.get_by_role("tab")).to_have_count(0)  # SolaraViz's "PAGE 0"
    expect(page.get_by_text("Page 0", exact=True)).to_have_count(0)
    expect(page.get_by_text("Information", exact=True)).to_have_count(0)
    expect(page.get_by_text("Time:")).to_have_count(0)


def test_every_control_shows_its_value_without_focus(page: Page):
    page.locator("body").click(position={"x": 5, "y": 500})  # nothing focused
    expect(shown(page, "Median leverage")).to_have_text("15")
    expect(shown(page, "Herding strength")).to_have_text("0")
    expect(shown(page, "Long bias")).to_have_text("0.75")
    expect(shown(page, "Shock size")).to_have_text("-7")
    expect(shown(page, "Render Interval")).to_have_text("1")
    expect(page.get_by_label("Insurance fund (USDT)")).to_have_value("10,000,000")


def test_a_step_advances_the_model_and_redraws_the_plots(page: Page):
    before = first_plot(page)
    button(page, "Step").click()
    expect(page.get_by_text("flash-crash: step 1 of 1800")).to_be_visible()
    page.wait_for_function("old => document.querySelector('img').src !== old", arg=before)
    assert first_plot(page) != before


def test_a_slider_an_amount_and_reset_rebuild_the_model_with_them(page: Page):
    bias = slider(page, "Long bias")
    expect(bias).to_have_attribute("aria-valuenow", "0.75")
    bias.focus()
    bias.press("ArrowRight")  # one step of 0.05
    expect(bias).to_have_attribute("aria-valuenow", "0.8")
    expect(shown(page, "Long bias")).to_have_text("0.8")
    fund = page.get_by_label("Insurance fund (USDT)")
    fund.fill("12.5 millions")
    fund.press("Enter")
    expect(page.get_by_text("is not an amount")).to_be_visible()  # a typo is said, not applied
    fund.fill("12.5M")
    fund.press("Enter")
    expect(page.get_by_text("is not an amount")).to_have_count(0)
    expect(page.get_by_text("Reset to apply")).to_be_visible()
    expect(page.get_by_text("insurance_fund.initial = 10,000,000")).to_be_visible()  # not yet
    button(page, "Reset").click()
    # the summary reads the settings from the new model's scenario, not from the controls
    expect(page.get_by_text("population.long_bias = 0.8")).to_be_visible()
    expect(page.get_by_text("insurance_fund.initial = 12,500,000")).to_be_visible()
    expect(page.get_by_text("flash-crash: step 0 of 1800")).to_be_visible()
    expect(page.get_by_text("Reset to apply")).to_have_count(0)
    expect(fund).to_have_value("12,500,000")


def test_steps_run_into_the_crash_and_the_screenshot_is_saved(page: Page):
    interval = slider(page, "Render Interval")
    interval.focus()
    interval.press("End")
    expect(shown(page, "Render Interval")).to_have_text("100")
    steps = 0
    while steps < 660:  # the index drops 7% from 600 s to 660 s
        button(page, "Step").click()
        steps += 100
        expect(page.get_by_text(f"flash-crash: step {steps} of 1800")).to_be_visible()
    expect(page.get_by_text("liquidations").first).to_be_visible()
    # the summary's longest lines (a 12,500,000 fund, 256 liquidations) stay beside the book,
    # not under it
    book = page.locator(".book-panel").bounding_box()
    assert book is not None
    for table in page.locator(".cascade-summary table").all():
        box = table.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= book["x"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    # the page scrolls inside Solara's layout, so a full-page shot is the window: a taller one
    # shows every panel
    page.set_viewport_size({"width": WIDTH, "height": PICTURE_HEIGHT})
    try:
        expect(page.locator(".depth-panel img")).to_be_in_viewport(ratio=1.0)
        page.screenshot(path=SCREENSHOT)
    finally:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    assert SCREENSHOT.stat().st_size > 50_000


def test_play_runs_the_model_and_pause_stops_it(page: Page):
    start = summary(page)
    button(page, "▶").click()
    expect(button(page, "Step")).to_be_disabled()  # playing
    expect(page.get_by_text(start.splitlines()[0])).to_have_count(0)  # the step count moved on
    button(page, "❚❚").click()
    expect(button(page, "Step")).to_be_enabled()  # paused
    assert summary(page) != start


def test_reset_while_playing_stops_and_builds_a_fresh_run(page: Page):
    interval = slider(page, "Render Interval")
    interval.focus()
    interval.press("Home")  # one step a redraw, and 500 ms between: the play thread sleeps
    play = slider(page, "Play Interval")  # most of the time, so Reset comes while it does
    play.focus()
    play.press("End")
    expect(shown(page, "Render Interval")).to_have_text("1")
    button(page, "▶").click()
    expect(button(page, "Step")).to_be_disabled()  # playing
    button(page, "Reset").click()
    expect(button(page, "▶")).to_be_enabled()  # paused by Reset
    expect(page.get_by_text("flash-crash: step 0 of 1800")).to_be_visible()
    button(page, "Step").click()
    # one batch on the new model: the old play thread stepped none of it
    expect(page.get_by_text("flash-crash: step 1 of 1800")).to_be_visible()
    interval.focus()
    interval.press("End")
    expect(shown(page, "Render Interval")).to_have_text("100")


def test_a_preset_switch_then_reset_keeps_the_preset_and_its_settings(page: Page):
    pick(page, "oct-10-2025")
    expect(page.get_by_text("oct-10-2025: step 0 of 1500")).to_be_visible()
    expect(shown(page, "Median leverage")).to_have_text("17.6")
    expect(shown(page, "Long bias")).to_have_text("0.85")
    expect(shown(page, "Shock size")).to_have_text("-14.5")
    expect(page.get_by_label("Insurance fund (USDT)")).to_have_value("28,000")
    button(page, "Step").click()
    expect(page.get_by_text("oct-10-2025: step 100 of 1500")).to_be_visible()
    button(page, "Reset").click()
    # the preset again (its name, its length, its shock), not a default "custom" model
    expect(page.get_by_text("oct-10-2025: step 0 of 1500")).to_be_visible()
    expect(page.get_by_text("custom")).to_have_count(0)
    for line in (
        "population.leverage.median = 17.6",
        "insurance_fund.initial = 28,000",
        "population.herding.strength = 0",
        "population.long_bias = 0.85",
        "index.shocks.0.change_pct = -14.5",
    ):
        expect(page.get_by_text(line)).to_be_visible()
    expect(page.get_by_text("Reset to apply")).to_have_count(0)  # the controls are the model's


def test_a_run_stops_at_its_last_step(page: Page):
    interval = slider(page, "Render Interval")
    interval.focus()
    interval.press("End")
    interval.press("ArrowLeft")  # 99 steps a redraw: 1500 is no multiple of it
    expect(shown(page, "Render Interval")).to_have_text("99")
    play = slider(page, "Play Interval")
    play.focus()
    play.press("Home")
    button(page, "▶").click()
    end = page.get_by_text("oct-10-2025: step 1500 of 1500 (t = 1500 s, finished)")
    expect(end).to_be_visible(timeout=RUN_MS)
    expect(button(page, "▶")).to_be_disabled()
    expect(button(page, "Step")).to_be_disabled()
    expect(page.get_by_text("step 1501")).to_have_count(0)
    assert "step 1500 of 1500" in summary(page)


def test_picking_a_scenario_rebuilds_the_model_and_its_sliders(page: Page):
    pick(page, "calm")
    expect(page.get_by_text("calm: step 0 of")).to_be_visible()
    expect(page.get_by_text("population.leverage.median = 5")).to_be_visible()  # calm's own
    expect(page.get_by_text("no shock in this scenario")).to_be_visible()
    expect(slider(page, "Median leverage")).to_have_attribute("aria-valuenow", "5")
    expect(shown(page, "Median leverage")).to_have_text("5")
    expect(slider(page, "Shock size")).to_have_count(0)
    expect(button(page, "Step")).to_be_enabled()  # a new run, after the finished one
