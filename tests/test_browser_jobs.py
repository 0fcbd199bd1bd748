"""Training outlives the web server: kill the server mid-training, start a new one on the same runs folder, and
the Train page shows the job still running with its live chart; Stop there says "stopping" at once and ends it."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from conftest import messages_frame
from test_browser import CHROMIUM, CHROMIUM_ARGS, SERVERS, SHOTS, go, no_exception, settle, streamlit_server

from spamcore.runs.store import read_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def fill(page, key: str, value) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    settle(page, 200)


def test_a_training_survives_a_server_crash_and_a_new_server_stops_it(tiny_model_dir, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    data = tmp_path / "messages.tsv"
    frame = messages_frame(4)
    data.write_text("".join(f"{('ham', 'spam')[y]}\t{t}\n" for t, y in zip(frame.text, frame.label, strict=True)))
    runs = tmp_path / "runs"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1600})
        page.set_default_timeout(60_000)
        with streamlit_server(tmp_path, runs, data, kill_jobs=False) as url:  # its trainer must live on
            page.goto(url)
            page.wait_for_selector("h1")
            go(page, "Train")
            page.locator(".st-key-train_recipe label").filter(has_text="finetune").click()
            settle(page, 300)
            fill(page, "train_model", tiny_model_dir)
            fill(page, "train_epochs", 500)
            fill(page, "train_batch_size", 4)
            fill(page, "train_max_length", 16)
            fill(page, "train_run_name", "survivor")
            page.locator(".st-key-train_start button").click()
            page.get_by_text(re.compile(r"^Step \d")).wait_for()
            SERVERS[url].send_signal(signal.SIGKILL)  # the server dies; the trainer is its own process
            SERVERS[url].wait(10)
        with streamlit_server(tmp_path, runs, data) as url:
            page.goto(url)
            page.wait_for_selector("h1")
            go(page, "Train")
            page.get_by_text("Run survivor").wait_for()
            page.get_by_text(re.compile(r"status: running")).wait_for()
            first = page.get_by_text(re.compile(r"^Step [\d,]+/")).inner_text()
            page.wait_for_timeout(2500)
            later = page.get_by_text(re.compile(r"^Step [\d,]+/")).inner_text()
            assert first != later, "the live panel keeps moving under the new server"
            page.locator(".js-plotly-plot").first.wait_for()  # the live loss chart (redrawn every second)
            no_exception(page)
            page.screenshot(path=SHOTS / "train-after-restart.png")
            page.locator(".st-key-train_stop button").first.click()
            page.get_by_text(re.compile("^Stopping:")).wait_for(timeout=5_000)
            page.screenshot(path=SHOTS / "train-stopping.png")
            page.get_by_text(re.compile("^Stopped")).wait_for(timeout=60_000)
            settle(page, 500)
            no_exception(page)
        browser.close()
    assert read_run(runs / "survivor").status == "stopped"
