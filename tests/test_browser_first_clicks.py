"""First clicks never fail: on a freshly started server, pages opened at a person's pace (a second or so apart),
and two sessions opening different pages at the same moment, show no exception, and the server's log holds no
traceback.

Two script threads importing transformers at once once showed "ImportError: cannot import name 'AutoTokenizer'";
the tests that open one page and wait never met it. The heavy imports now happen once, behind a lock
(``spamcore.app.warmup``).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, settle, streamlit_server
from test_browser_bad_input import tiny_lab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PACE_MS = 1200  # a person's pace: at most 1.5 s between clicks


def _click(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()


def _exceptions(page) -> list[str]:
    errors = page.locator('[data-testid="stException"]')
    return [errors.nth(i).inner_text() for i in range(errors.count())]


@pytest.fixture()
def fresh_lab(tiny_model_dir, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    runs, data = tiny_lab(tmp_path, tiny_model_dir)
    return tmp_path, runs, data


def test_pages_clicked_at_a_persons_pace_on_a_fresh_server(fresh_lab):
    from playwright.sync_api import sync_playwright

    tmp, runs, data = fresh_lab
    seen: list[str] = []
    with streamlit_server(tmp, runs, data) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.set_default_timeout(90_000)
        page.goto(url)
        page.wait_for_selector('[data-testid="stSidebarNav"] a')
        for title in ("Data", "Evaluate", "Classify", "Evaluate"):
            _click(page, title)
            page.wait_for_timeout(PACE_MS)
            seen += _exceptions(page)
        settle(page, 1500)
        seen += _exceptions(page)
        browser.close()
    assert seen == []
    log = (tmp / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def test_two_sessions_open_different_pages_at_the_same_moment(fresh_lab):
    from playwright.sync_api import sync_playwright

    tmp, runs, data = fresh_lab
    with streamlit_server(tmp, runs, data) as url:
        results: dict[str, list[str]] = {}

        def session(path: str, start: threading.Barrier) -> None:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.set_default_timeout(90_000)
                start.wait()
                page.goto(f"{url}/{path}")
                page.wait_for_selector("h1")
                settle(page, 1500)
                results[path] = _exceptions(page)
                browser.close()

        start = threading.Barrier(2)
        threads = [threading.Thread(target=session, args=(path, start)) for path in ("evaluate", "classify")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    assert results == {"evaluate": [], "classify": []}
    log = (tmp / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]
