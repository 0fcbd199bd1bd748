"""The teaching views in headless Chromium: threshold and baseline on Evaluate, "why this verdict" on
Classify, the Runs page and "How BERT learns", with two tiny runs made before the server starts (seconds, not
minutes). Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import messages_frame
from test_app import tiny_config
from test_bad_input import SCRIPT
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, go, no_exception, settle, streamlit_server
from test_browser_bad_input import CLEAN, INJECTED

from spamcore.config import recipe_defaults
from spamcore.experiment import run_experiment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATTACK = f"WINNER!! {SCRIPT} Claim your free prize now <img src=x onerror=alert(1)> call 09061701461"


@pytest.fixture(scope="module")
def server(tiny_model_dir, tmp_path_factory):
    """``streamlit run app.py`` on hand-written data with a tiny frozen and a tiny finetune run."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("browser-teaching")
    data = tmp / "messages.tsv"
    frame = messages_frame(4)
    data.write_text("".join(f"{('ham', 'spam')[y]}\t{t}\n" for t, y in zip(frame.text, frame.label, strict=True)))
    runs = tmp / "runs"
    frozen = recipe_defaults("frozen", model=str(tiny_model_dir), epochs=6, batch_size=8, max_length=16, lr=1e-3,
                             precision="fp32", device="cpu")
    run_experiment(frozen, frame, runs / "tiny-frozen", data_name="hand-written")
    run_experiment(tiny_config(tiny_model_dir, epochs=4, lr=1e-3), frame, runs / "tiny-finetune",
                   data_name="hand-written")
    with streamlit_server(tmp, runs, data) as url:
        yield {"url": url, "runs": runs}


@pytest.mark.timeout(600)
def test_teaching_views(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2000})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.set_default_timeout(60_000)
            page.goto(server["url"])
            page.wait_for_selector("h1")
        except Exception:
            browser.close()
            raise
        try:
            # Screenshots first, fragile interactions last, so that a failure still leaves the pictures.
            go(page, "How BERT learns")
            settle(page, 1500)
            no_exception(page)
            page.get_by_role("button", name="Re-roll").first.click()
            page.get_by_text("Seed 1:").first.wait_for()
            settle(page, 1500)
            page.screenshot(path=SHOTS / "bert.png", full_page=True)

            go(page, "Runs")
            settle(page, 1500)
            no_exception(page)
            assert page.locator(".st-key-chart_runs_overlay .js-plotly-plot").count() == 1
            page.screenshot(path=SHOTS / "runs.png", full_page=True)

            # Classify: why this verdict, on a message carrying HTML.
            go(page, "Classify")
            box = page.locator(".st-key-classify_text textarea")
            box.fill(ATTACK)
            box.press("Control+Enter")
            page.get_by_text("Why this verdict?").first.wait_for()
            settle(page, 1500)
            no_exception(page)
            page.get_by_text("Why this verdict?").first.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "classify-why.png")
            page.wait_for_timeout(300)  # let a broken image's onerror fire, if there were one
            assert page.evaluate(INJECTED) == CLEAN
            assert SCRIPT in page.locator('[data-testid="stHtml"]').first.inner_text()  # shown as text

            # Evaluate: move the threshold, use it for the run, see Classify use it.
            go(page, "Evaluate")
            settle(page)
            no_exception(page)
            page.locator(".st-key-chart_pr").first.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "evaluate-threshold.png")
            page.locator(".st-key-eval_threshold input[type=range]").first.focus()
            for _ in range(10):
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(150)
            settle(page, 1500)
            chosen = page.locator('.st-key-eval_threshold [data-testid="stSliderThumbValue"]').first.inner_text()
            assert re.fullmatch(r"\d\.\d\d", chosen) and float(chosen) > 0.5, chosen
            page.get_by_text(f"Use threshold {chosen} for this run").first.wait_for()  # the last rerun has drawn
            settle(page, 500)
            page.locator(".st-key-eval_use_threshold button").first.click()
            page.get_by_text(f"Classify now uses threshold {chosen}").first.wait_for()
            settle(page, 1500)
            no_exception(page)
            page.locator(".st-key-chart_pr").first.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "evaluate-threshold.png")
            go(page, "Classify")
            page.get_by_text(f"spam threshold {chosen}").first.wait_for()
        except Exception:
            page.screenshot(path=SHOTS / "teaching-failure.png", full_page=True)
            raise
        finally:
            browser.close()
    assert dialogs == [], f"a script ran: {dialogs}"
