"""The Class board costs the server almost nothing while it stays open, at every stage of a round: no round yet,
attempts arriving, a retrain running (the server's own share, for as long as the retrain runs: the one scoring of
before and after when it ends is not a redraw) and after the retrain, when the before → after is read from the
retrained run's folder instead of scoring two models on every redraw (it once used 1.5 cores for as long as the
board stayed open). Each stage is measured over 30 s (the retrain's until it ends, if sooner)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_app import tiny_run  # noqa: F401 (fixture)
from test_browser import CHROMIUM, CHROMIUM_ARGS, SERVERS, SHOTS, settle, streamlit_server

from devtools.board_cost import board_stages

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

MAX_SHARE = 0.02  # of one core


def test_the_board_sits_near_idle_at_every_stage(tiny_run, real_data, tmp_path):  # noqa: F811
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from spamcore.classroom.store import open_store

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs)
    db = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    with sync_playwright() as playwright, streamlit_server(tmp_path, runs, real_data, env={"SPAMCORE_DB": db}) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1600})
        page.set_default_timeout(90_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        costs = board_stages(page, url, SERVERS[url].pid, open_store(db), runs, settle=settle, shots=SHOTS)
        browser.close()
    print("\n" + "\n".join(f"{c.stage}: {c.share:.2%} of a core over {c.seconds:.0f} s" for c in costs))
    assert [c.stage for c in costs if c.share >= MAX_SHARE] == [], [(c.stage, f"{c.share:.2%}") for c in costs]
