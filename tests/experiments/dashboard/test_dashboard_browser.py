"""The dashboard in a real headless browser: Debian's chromium, driven by Playwright.

``cascade dashboard`` serves the page; the test loads it, steps the model and watches the plots
change, moves a slider and presses Reset to see the model rebuilt with the new setting, plays
and pauses, then saves the screenshot the README shows (docs/img/dashboard.png).

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
        page = browser.new_page(viewport={"width": 1500, "height": 1650})
        page.set_default_timeout(WAIT_MS)
        page.goto(server)
        yield page
        browser.close()


def summary(page: Page) -> str:
    return page.get_by_text("flash-crash: step").inner_text()


def first_plot(page: Page) -> str:
    return str(page.locator("img").first.get_attribute("src"))


def slider(page: Page, label: str):
    return page.locator(".v-input", has_text=label).get_by_role("slider")


def test_the_page_loads_with_the_model_at_step_zero(page: Page):
    expect(page.get_by_text("flash-crash: step 0 of 1800")).to_be_visible()
    expect(page.locator("img")).to_have_count(6)  # six plots beside the summary
    expect(page.get_by_text("population.long_bias = 0.75")).to_be_visible()


def test_a_step_advances_the_model_and_redraws_the_plots(page: Page):
    before = first_plot(page)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_text("flash-crash: step 1 of 1800")).to_be_visible()
    page.wait_for_function("old => document.querySelector('img').src !== old", arg=before)
    assert first_plot(page) != before


def test_a_slider_and_reset_rebuild_the_model_with_the_new_setting(page: Page):
    bias = slider(page, "Long bias")
    expect(bias).to_have_attribute("aria-valuenow", "0.75")
    bias.focus()
    bias.press("ArrowRight")  # one step of 0.05
    expect(bias).to_have_attribute("aria-valuenow", "0.8")
    page.get_by_role("button", name="Reset", exact=True).click()
    # the summary reads the setting from the new model's scenario, not from the slider
    expect(page.get_by_text("population.long_bias = 0.8")).to_be_visible()
    expect(page.get_by_text("flash-crash: step 0 of 1800")).to_be_visible()


def test_steps_run_into_the_crash_and_the_screenshot_is_saved(page: Page):
    interval = slider(page, "Render Interval")
    interval.focus()
    interval.press("End")
    per_click = int(str(interval.get_attribute("aria-valuenow")))
    assert per_click >= 90
    steps = 0
    while steps < 660:  # the index drops 7% from 600 s to 660 s
        page.get_by_role("button", name="Step", exact=True).click()
        steps += per_click
        expect(page.get_by_text(f"flash-crash: step {steps} of 1800")).to_be_visible()
    expect(page.get_by_text("liquidations").first).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert SCREENSHOT.stat().st_size > 50_000


def test_play_runs_the_model_and_pause_stops_it(page: Page):
    start = summary(page)
    page.get_by_role("button", name="▶", exact=True).click()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_disabled()  # playing
    expect(page.get_by_text(start)).to_have_count(0)  # the step count moved on
    page.get_by_role("button", name="❚❚", exact=True).click()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_enabled()  # paused
    paused = summary(page)
    assert paused != start


def test_picking_a_scenario_rebuilds_the_model_and_its_sliders(page: Page):
    page.get_by_role("button", name="Scenario preset").click()
    page.get_by_role("option", name="calm", exact=True).click()
    expect(page.get_by_text("calm: step 0 of")).to_be_visible()
    expect(page.get_by_text("population.leverage.median = 5")).to_be_visible()  # calm's own
    expect(page.get_by_text("no shock in this scenario")).to_be_visible()
    expect(slider(page, "Median leverage")).to_have_attribute("aria-valuenow", "5")
    expect(slider(page, "Shock size")).to_have_count(0)
