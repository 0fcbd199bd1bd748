"""HTML/JS typed into the real app in headless Chromium: nothing runs, nothing is injected, text stays text.

A ``streamlit run app.py`` server on a free loopback port, with a tiny finished run and hand-written data (no real
data, no bundled model weights needed to classify). The payloads go into Classify (one message and many), the
tokenization explorer, and an uploaded file's label cell, whose error message must show them literally.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import messages_frame
from test_browser import CHROMIUM, CHROMIUM_ARGS, go, no_exception, settle, streamlit_server

from spamcore.model.config import recipe_defaults
from spamcore.runs.experiment import run_experiment

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # ~40 s: a server and Chromium

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
# Anything a rendered payload would have put in the page.
INJECTED = """() => ({
    imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
    scripts: Array.from(document.scripts).filter(s => s.textContent.includes('alert(1)')).length,
    handlers: Array.from(document.querySelectorAll('*')).filter(e => e.hasAttribute('onerror')).length,
})"""
CLEAN = {"imgs": 0, "scripts": 0, "handlers": 0}


def tiny_lab(tmp: Path, model_dir: Path) -> tuple[Path, Path]:
    """A runs folder with one finished tiny run, and a hand-written data file."""
    data = tmp / "messages.tsv"
    frame = messages_frame(4)
    data.write_text("".join(f"{('ham', 'spam')[y]}\t{t}\n" for t, y in zip(frame.text, frame.label, strict=True)))
    config = recipe_defaults("finetune", model=str(model_dir), augment="", extra_data="", epochs=1, batch_size=8,
                             max_length=16, precision="fp32", device="cpu")
    run_experiment(config, frame, tmp / "runs" / "tiny-finetune", data_name="hand-written")
    return tmp / "runs", data


@pytest.fixture(scope="module")
def page(tiny_model_dir, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("browser-hostile")
    runs, data = tiny_lab(tmp, tiny_model_dir)
    with streamlit_server(tmp, runs, data) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 2000})
            tab.set_default_timeout(60_000)
            tab.dialogs = []  # every alert/confirm/prompt that fires (there must be none)
            tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
            tab.goto(url)
            tab.wait_for_selector("h1")
            yield tab
        finally:
            browser.close()


def assert_nothing_ran(page) -> None:
    page.wait_for_timeout(300)  # let a broken image's onerror fire, if there were one
    assert page.dialogs == []
    assert page.evaluate(INJECTED) == CLEAN
    no_exception(page)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_classify_shows_the_payload_as_text(page, payload):
    go(page, "Classify")
    box = page.locator(".st-key-classify_text textarea")
    box.fill(payload)
    box.press("Control+Enter")
    page.locator("h2").filter(has_text="Verdict:").wait_for()
    settle(page, 500)
    assert box.input_value() == payload
    assert_nothing_ran(page)


def test_bulk_classify_shows_the_payloads_as_text(page):
    go(page, "Classify")
    page.get_by_role("tab", name="Many messages").click()
    page.locator(".st-key-bulk_text textarea").fill("\n".join(PAYLOADS))
    page.locator(".st-key-bulk_go button").click()
    page.get_by_text("2 messages:").wait_for()
    settle(page, 500)
    assert_nothing_ran(page)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_tokenization_explorer_shows_tokens_not_markup(page, payload):
    go(page, "Data")
    field = page.locator(".st-key-tok_text input")
    field.fill(payload)
    field.press("Enter")
    page.get_by_text("alert").first.wait_for()
    settle(page, 500)
    assert field.input_value() == payload
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert "[CLS]" in code and "alert" in code and "<" in code  # the pieces, as text
    assert_nothing_ran(page)


def test_an_uploaded_payload_is_quoted_literally_in_the_error(page, tmp_path):
    upload = tmp_path / "payload.csv"
    upload.write_text(f"label,text\nham,hi there\n{PAYLOADS[1]},win a prize\n")
    go(page, "Data")
    page.locator(".st-key-data_source label").filter(has_text="Upload a CSV/TSV").click()
    page.locator(".st-key-data_upload input[type=file]").set_input_files(str(upload))
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="unknown label")
    alert.wait_for()
    assert f"unknown label '{PAYLOADS[1]}'" in alert.inner_text()  # literally, as text
    assert_nothing_ran(page)
