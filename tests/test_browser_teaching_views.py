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

from spamcore.model.config import recipe_defaults
from spamcore.runs.experiment import run_experiment

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
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
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
            # The map of the selected run, with the page's sentence on it.
            page.locator(".st-key-chart_bert_map .js-plotly-plot").first.wait_for()  # computed on first visit
            page.locator(".st-key-chart_bert_map").first.scroll_into_view_if_needed()
            settle(page, 500)
            page.screenshot(path=SHOTS / "bert-map.png")
            # A masked-word head trained in its own process, then its guesses.
            page.get_by_role("button", name="Train a masked-word head").first.click()
            page.get_by_text("A head trained here").first.wait_for(timeout=180_000)
            settle(page, 1500)
            no_exception(page)
            page.get_by_text("What a real head guesses").first.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "bert-guesses.png")

            go(page, "Runs")
            settle(page, 1500)
            no_exception(page)
            assert page.locator(".st-key-chart_runs_overlay .js-plotly-plot").count() == 1
            page.screenshot(path=SHOTS / "runs.png", full_page=True)
            # The run's HTML report: downloaded from the page, opened with the network off.
            with page.expect_download() as download:
                page.get_by_role("button", name="Download the report (HTML)").first.click()
            assert download.value.suggested_filename.endswith("-report.html")
            report = server["runs"].parent / download.value.suggested_filename  # a .html name, so it opens as HTML
            download.value.save_as(report)
            offline = browser.new_context(offline=True, viewport={"width": 1200, "height": 1400})
            try:
                view = offline.new_page()
                fetched, failures = [], []
                view.on("request", lambda r: fetched.append(r.url))
                view.on("pageerror", lambda e: failures.append(str(e)))
                view.goto(report.as_uri())
                view.locator(".js-plotly-plot").nth(4).wait_for()  # loss, 2 matrices, PR, ROC at least
                view.wait_for_timeout(1000)
                assert failures == [] and [u for u in fetched if not u.startswith("file:")] == []
                view.screenshot(path=SHOTS / "report.png")
            finally:
                offline.close()

            # Classify: why this verdict, on a message carrying HTML.
            go(page, "Classify")
            box = page.locator(".st-key-classify_text textarea")
            box.fill(ATTACK)
            box.press("Control+Enter")
            page.get_by_text("Why this verdict?").first.wait_for()
            page.locator(".st-key-why_show label").click()  # the explanation comes when asked
            page.locator('[data-testid="stHtml"]').first.wait_for()
            settle(page, 1500)
            no_exception(page)
            # What a careful reader would check: the phone number in the message, marked as not used by the model.
            reader = page.get_by_text("What a careful reader would check").first
            reader.wait_for()
            assert page.get_by_text("No links, phone numbers").count() == 0  # its table is drawn instead
            reader.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "classify-reader.png")
            page.get_by_text("Why this verdict?").first.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "classify-why.png")
            page.wait_for_timeout(300)  # let a broken image's onerror fire, if there were one
            assert page.evaluate(INJECTED) == CLEAN
            assert SCRIPT in page.locator('[data-testid="stHtml"]').first.inner_text()  # shown as text

            # Evaluate: click a cell of the confusion matrix, then a message in it, and see why.
            go(page, "Evaluate")
            settle(page)
            no_exception(page)
            matrix = page.locator(".st-key-chart_cm_threshold").first
            matrix.scroll_into_view_if_needed()
            # The 5 test spam are all in one of the two bottom cells or split between them (tiny runs differ):
            # click each bottom cell until one lists messages.
            caption = page.get_by_text(re.compile(r"\d+ test messages: spam (caught|missed)")).first
            for attempt in range(4):  # a click while the page is still rerunning can be lost with the old chart
                settle(page, 1000)
                matrix.locator(".scatterlayer .point").nth(3 - attempt % 2).click(force=True)
                try:
                    caption.wait_for(timeout=10_000)
                    break
                except PlaywrightTimeout:
                    continue
            caption.wait_for()
            settle(page, 1000)
            table = page.locator(".st-key-eval_cell_table").first
            table.scroll_into_view_if_needed()
            settle(page, 300)
            box = table.bounding_box()
            page.mouse.click(box["x"] + 15, box["y"] + 52)  # the first row's selection box
            page.get_by_text("Which words pushed this message").first.wait_for()
            settle(page, 1500)
            no_exception(page)
            caption.scroll_into_view_if_needed()
            page.screenshot(path=SHOTS / "evaluate-cell.png")

            # Evaluate: move the threshold, use it for the run, see Classify use it.
            page.get_by_text("In people's words:").first.wait_for()  # the operating point, in words
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
