"""The app started exactly as the README says (``make app``) costs nothing while a page is open and idle: after every
page has been opened in Chromium, the server uses almost no CPU over 20 s and its log holds no file-watcher noise.

Streamlit's file watcher once walked .venv after the first page load, overflowed the inotify queue and spun a core
for as long as the app ran; the other browser tests, which start the server themselves, could not see it.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from test_browser import go, no_exception, settle

from devtools.browser import CHROMIUM, free_port, open_page, running_server, tree_cpu_seconds

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("Data", "Train", "Evaluate", "Classify", "Runs", "How BERT learns", "Home")
IDLE_SECONDS = 20
def test_make_app_sits_idle_with_a_page_open(real_data, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "SPAMCORE_RUNS": str(tmp_path / "runs"), "SPAMCORE_DATA": str(real_data),
           "SPAMCORE_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    log_path = tmp_path / "make-app.log"
    url = f"http://localhost:{port}"
    with running_server(["make", "-s", "app", f"PORT={port}"], url, cwd=ROOT, env=env, log_path=log_path,
                        own_session=True) as make, sync_playwright() as playwright:
        browser, page = open_page(playwright, url, timeout_ms=60_000)
        for title in PAGES:
            go(page, title)
            settle(page)
            no_exception(page)
        page.wait_for_timeout(3000)  # the first page loads are over; a watcher would start walking now
        before = tree_cpu_seconds(make.pid)
        time.sleep(IDLE_SECONDS)
        used = tree_cpu_seconds(make.pid) - before
        browser.close()
    share = used / IDLE_SECONDS
    print(f"\nserver CPU with a page open and idle: {used:.2f} s over {IDLE_SECONDS} s ({share:.1%} of a core)")
    assert share < 0.10, f"the idle server used {share:.0%} of a core"
    noise = [line for line in log_path.read_text(errors="replace").splitlines()
             if re.search(r"inotify|watchdog|watcher|reconcil", line, re.I)]
    assert not noise, noise[:5]
