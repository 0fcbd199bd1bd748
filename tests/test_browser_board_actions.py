"""The Class board stays whole after every moderation action (issue 33): Accept, Reject, Flip label, Delete and Undo,
clicked in a real browser, in any order, with the page scrolled to the table, while a second teacher session acts on
other rows — ten times over. After each click: no exception on the page, the Retrain button and the before → after
still there, and at the end the server log quiet and every row in the store as a hand count says.

(Before the fix the Undo button's widget key was the session-state key the actions write: the first action showed a
red StreamlitValueAssignmentNotAllowedError in Undo's place and lost everything below it, Retrain included.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_app import tiny_run  # noqa: F401 (fixture)
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, go, no_exception, settle, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPETITIONS = 10
MESSAGES = 24  # hand-written attempts, oldest first in the moderation table


def seed_round(db: str, run_name: str, runs: Path) -> list[int]:
    """A round on ``run_name`` with MESSAGES pending attempts and a retrained run beside it (so that the before →
    after is on the board from the start); the attempts' ids, oldest first."""
    from spamcore.classroom.store import open_store

    store = open_store(db)
    round_ = store.start_round(run_name)
    ids = []
    for i in range(MESSAGES):
        spam = i % 2 == 0
        text = f"WIN a free cruise number {i}, reply YES" if spam else f"see you at the station, platform {i}"
        ids.append(store.submit(round_.id, f"s{i % 6}", f"student{i % 6}", text, "spam" if spam else "ham",
                                "ham" if i % 3 == 0 else ("spam" if spam else "ham"), 0.3))
    shutil.copytree(runs / run_name, runs / "tiny-retrained")
    store.set_retrained(round_.id, "tiny-retrained")
    return ids


def click_row(page, row: int) -> None:
    """Tick one row of the moderation table by its row marker (the grid's first column; 35 px rows)."""
    grid = page.locator('[class*="st-key-board_messages_"] [data-testid="stDataFrameResizable"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 35 * row + 17)
    settle(page, 300)


def press(page, key: str) -> None:
    """Press a board button, then look at the page: no exception, and the controls below the buttons still there."""
    page.locator(f".st-key-{key} button").click()
    settle(page, 400)
    no_exception(page)
    whole(page)


def whole(page) -> None:
    no_exception(page)
    for key in ("board_accept", "board_undo", "board_retrain"):
        assert page.locator(f".st-key-{key} button").count() == 1, f"{key} is gone from the board"
    page.get_by_text(re.compile(r"Before → after")).first.wait_for()


def test_every_moderation_action_leaves_the_board_whole(tiny_run, real_data, tmp_path):  # noqa: F811
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from spamcore.classroom.store import open_store

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs)
    db = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    ids = seed_round(db, "tiny-finetune", runs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, streamlit_server(tmp_path, runs, real_data, env={"SPAMCORE_DB": db}) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        first, second = (browser.new_context(viewport={"width": 1440, "height": 1100}).new_page() for _ in range(2))
        for page in (first, second):  # two teacher sessions (the laptop's own browser is the teacher's)
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_selector("h1")
            go(page, "Class board")
            settle(page, 3000)
            whole(page)  # the before → after is computed once in the background, then read from the run folder
        first.screenshot(path=SHOTS / "class-board-unverified.png")  # the figures say "unverified" before moderation
        assert first.get_by_text("unverified").count() >= 1
        for rep in range(REPETITIONS):
            click_row(first, 0)
            press(first, "board_accept")
            press(first, "board_undo")
            click_row(second, 5)  # the second teacher, on other rows, between the first one's actions
            press(second, "board_accept")
            click_row(first, 1)
            press(first, "board_reject")
            click_row(first, 0)
            press(first, "board_flip")
            press(first, "board_undo")
            press(second, "board_undo")
            click_row(first, 2)
            press(first, "board_delete")
            if rep == 0:
                first.screenshot(path=SHOTS / "class-board-after-actions.png", full_page=True)
        browser.close()
        log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and "NotAllowedError" not in log, log[-3000:]
    # By hand: every rep's accept and flip were undone, and so was the second teacher's accept; the message in row 1
    # (the second oldest) is rejected; a delete of row 2 each rep took the third oldest message still there.
    frame = open_store(db).frame().set_index("id")
    assert sorted(frame.index) == [ids[0], ids[1], *ids[2 + REPETITIONS:]]
    assert frame.loc[ids[1], "status"] == "rejected"
    assert set(frame.drop(index=ids[1])["status"]) == {"pending"}
    original = {i: ("spam" if k % 2 == 0 else "ham") for k, i in enumerate(ids)}
    assert all(frame.loc[i, "claimed"] == original[i] for i in frame.index)  # every flip was undone
