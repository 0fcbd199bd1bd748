"""A class round end to end in Chromium: the teacher signs in and starts a round, three students on their own
pages try to fool the model, the teacher moderates, retrains on their messages, and sees before → after.

The server runs in a network namespace of its own (``devtools.netns``), so every browser arrives from another
address, as phones on a class network do: twelve students on their own devices, and the teacher, who gets in with the
code. Where namespaces cannot be made, the test says so and falls back to SPAMCORE_LOCAL_IS_TEACHER=0."""

from __future__ import annotations

import json
import re
import shutil
import time
import warnings
from pathlib import Path

import pytest
from test_app import tiny_run  # noqa: F401 (fixture)
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, go, no_exception, settle, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDENTS = [("ana", "W I N  a  f r e e  c r u i s e  n o w", "spam"),
            ("<b>ben</b>", "<script>alert('hi')</script> see you at 6", "ham"),
            ("cat", "Your p@rcel f33 is unpaid, settle it today", "spam"),
            ("dev", "hey! good game. btw my cousin doubles crypto in a week, want in?", "spam"),
            ("eve", "the match moved to Sunday, free pizza after", "ham"),
            ("fin", "Hi Jenny, still on for the gallery? oh sorry, wrong number", "spam"),
            ("gus", "y0ur p4yp4l is l1m1t3d, r3st0r3 4cc3ss n0w", "spam"),
            ("hal", "Your prescription is ready to collect", "ham"),
            ("ida", "hi love, dad here on a friend's phone, send 200 for the garage", "spam"),
            ("jon", "we WON the quiz!! drinks on me", "ham"),
            ("kim", "V e r i f y  y o u r  a c c o u n t  t o d a y", "spam"),
            ("lou", "You've used 80% of your data this month", "ham")]


def sign_in(page, code: str) -> None:
    page.locator('[data-testid="stExpandSidebarButton"]').click()  # a student's sidebar starts collapsed
    page.locator('[data-testid="stSidebar"]').get_by_text("Teacher", exact=True).click()
    box = page.locator(".st-key-teacher_code_input input")
    box.fill(code)
    box.press("Enter")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Class board").wait_for()


def test_a_class_round_from_challenge_to_retrained_model(tiny_run, real_data, tmp_path):  # noqa: F811
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from devtools.netns import server_namespace

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs)
    env = {"SPAMCORE_TEACHER_CODE": "teach-42", "SPAMCORE_DB": f"sqlite:///{tmp_path / 'class.sqlite3'}"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with server_namespace() as netns, sync_playwright() as playwright:
        if netns is None:
            warnings.warn("no network namespace could be made: students are loopback browsers treated as students "
                          "(SPAMCORE_LOCAL_IS_TEACHER=0)", stacklevel=1)
            env["SPAMCORE_LOCAL_IS_TEACHER"] = "0"
        with streamlit_server(tmp_path, runs, real_data, env=env, netns=netns) as url:
            play_the_round(playwright, url, runs)


def play_the_round(playwright, url: str, runs: Path) -> None:
    """Sign in as the teacher, start a round, let every student try once, moderate by rows, retrain, compare."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    teacher = browser.new_page(viewport={"width": 1440, "height": 2200})
    dialogs: list[str] = []
    teacher.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    teacher.set_default_timeout(90_000)
    teacher.goto(url)
    teacher.get_by_text("The teacher has not started a round yet").wait_for()  # a student until signed in
    assert teacher.locator('[data-testid="stSidebarNav"] a').filter(has_text="Train").count() == 0
    teacher.screenshot(path=SHOTS / "challenge-waiting.png")
    sign_in(teacher, "teach-42")
    go(teacher, "Class board")
    teacher.locator(".st-key-board_start button").click()
    teacher.get_by_text(re.compile(r"Round \d+ attacks run")).wait_for()
    settle(teacher)
    no_exception(teacher)
    assert teacher.get_by_text(re.compile(r"http://[\d.]+:\d+/")).count() >= 1

    results = []
    for nickname, text, truth in STUDENTS:  # each on a device (browser context) of their own
        student = browser.new_context(viewport={"width": 420, "height": 1500}).new_page()
        student.set_default_timeout(90_000)
        student.goto(url)  # the address on the board: a student's device lands on Challenge
        student.get_by_text("Fool the spam filter").first.wait_for()
        assert student.locator('[data-testid="stSidebarNav"] a').filter(has_text="Train").count() == 0
        student.locator(".st-key-challenge_nickname input").fill(nickname)
        student.locator(".st-key-challenge_text textarea").fill(text)
        student.locator(".st-key-challenge_claimed label").filter(has_text=truth).click()
        student.get_by_role("button", name="Send").click()
        heading = student.locator("h2").filter(has_text=re.compile("fooled it|caught that|not sure"))
        heading.first.wait_for()
        results.append(heading.first.inner_text())
        student.get_by_text("Why it said so").first.wait_for()  # the words that pushed it, after the verdict
        settle(student, 500)
        no_exception(student)
        if "fooled it" in results[-1] and not any("fooled it" in r for r in results[:-1]):
            student.screenshot(path=SHOTS / "challenge-phone.png", full_page=True)  # the first who fooled it
        student.goto(f"{url}/train")  # a teacher page's URL leads a student nowhere
        student.get_by_text("Page not found").wait_for()
        student.get_by_text("Fool the spam filter").first.wait_for()
    assert len(results) == len(STUDENTS)

    teacher.get_by_text(re.compile(rf"^{len(STUDENTS)}$")).first.wait_for()  # the live board counted them all
    assert not dialogs, dialogs  # no student's script ran
    assert teacher.locator("b", has_text="ben").count() == 0  # no student's markup became markup
    teacher.screenshot(path=SHOTS / "class-board.png", full_page=True)

    # Moderate by rows: tick the first two rows of the table (oldest first), accept them; then the rest at once.
    grid = teacher.locator('[class*="st-key-board_messages_"] [data-testid="stDataFrameResizable"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    for row in (0, 1):  # the row markers: the grid's first column, one 35 px row under a 35 px header
        teacher.mouse.click(box["x"] + 12, box["y"] + 35 + 35 * row + 17)
        settle(teacher, 300)
    teacher.get_by_text(re.compile(r"^2 message\(s\): #\d+, #\d+$")).wait_for()
    teacher.screenshot(path=SHOTS / "class-board-moderation.png", full_page=True)
    teacher.locator(".st-key-board_accept button").click()
    settle(teacher)
    teacher.get_by_text("2 accepted messages to learn from, 0 held out").wait_for()
    teacher.locator(".st-key-board_scope label").filter(has_text=re.compile(r"^every pending message$")).click()
    settle(teacher, 300)
    teacher.locator(".st-key-board_accept button").click()
    settle(teacher)
    teacher.get_by_text("8 accepted messages to learn from, 4 held out").wait_for()
    teacher.locator(".st-key-board_retrain button").click()
    teacher.get_by_text(re.compile(r"Training class-round-\d+")).wait_for()
    retrained = next(runs.glob("class-round-*"))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        meta = retrained / "run.json"
        if meta.is_file() and json.loads(meta.read_text()).get("status") in ("finished", "failed"):
            break
        time.sleep(1)
    assert json.loads((retrained / "run.json").read_text())["status"] == "finished"
    go(teacher, "Class board")
    teacher.get_by_text(re.compile(r"Before → after")).wait_for()
    settle(teacher, 1500)
    no_exception(teacher)
    teacher.screenshot(path=SHOTS / "class-board-after.png", full_page=True)
    browser.close()


def test_ten_students_pressing_send_together_lose_nothing(tiny_run, real_data, tmp_path):  # noqa: F811
    """Ten real browser sessions send at the same moment (every click before any answer): every row is there."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from spamcore.classroom.store import open_store

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs)
    db = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    store = open_store(db)
    store.start_round("tiny-finetune")
    env = {"SPAMCORE_LOCAL_IS_TEACHER": "0", "SPAMCORE_DB": db}
    with sync_playwright() as playwright, streamlit_server(tmp_path, runs, real_data, env=env) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        pages = []
        for i in range(10):
            page = browser.new_context(viewport={"width": 420, "height": 1500}).new_page()
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator(".st-key-challenge_nickname input").fill(f"student{i}")
            page.locator(".st-key-challenge_text textarea").fill(f"free prize number {i}, reply now")
            pages.append(page)
        for page in pages:  # all ten sent before any answer is read
            page.get_by_role("button", name="Send").click(no_wait_after=True)
        for page in pages:
            page.locator("h2").filter(has_text=re.compile("fooled it|caught that|not sure")).first.wait_for()
            no_exception(page)
        browser.close()
    frame = store.frame()
    assert len(frame) == 10 and sorted(frame["nickname"]) == sorted(f"student{i}" for i in range(10))
