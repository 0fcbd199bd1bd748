"""App start: seconds from ``spamcore app`` to the first interactive page in headless Chromium.

    python bench/app_start.py [--repeats 3]

Each repeat starts a fresh server (empty runs folder, the real data as built-in data) and measures: process
start → ``/_stcore/health`` answers, and → the Home page's heading and sidebar navigation are rendered in
Chromium (Debian's ``/usr/bin/chromium`` through Playwright). A second page load on the warm server is the
reference: how fast the same page shows once nothing is left to import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: E402
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))


def one_start(browser) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "SPAMCORE_RUNS": f"{tmp}/runs", "SPAMCORE_DATA": DATA, "HF_HUB_OFFLINE": "1"}
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "spamcore", "app", "--port", str(port), "--host", "127.0.0.1"],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, proc)
            healthy = time.perf_counter() - start
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector('h1:has-text("spamcore")', timeout=60_000)
            page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
            first = time.perf_counter() - start
            page.close()
            t0 = time.perf_counter()
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector('h1:has-text("spamcore")', timeout=60_000)
            warm = time.perf_counter() - t0
            page.close()
            return healthy, first, warm
        finally:
            proc.terminate()
            proc.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        results = [one_start(browser) for _ in range(args.repeats)]
        browser.close()
    healthy, first, warm = (statistics.median(r[i] for r in results) for i in range(3))
    print(f"app start (median of {args.repeats}): server healthy {healthy:.2f} s; first interactive page "
          f"{first:.2f} s; same page on the warm server {warm:.2f} s (ratio {first / warm:.1f}x)")


if __name__ == "__main__":
    main()
