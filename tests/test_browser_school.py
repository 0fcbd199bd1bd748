"""A school's server as docs/school.md sets it up, used as a school would, in Chromium: PostgreSQL, two app replicas
behind nginx, one worker, all in a network namespace of their own (``devtools.school``).

The admin makes three classes; their teachers sign in with their own codes, start rounds and press Start training at
once (queued: one runs, the others say their place in line; all finish); students of every class press Send together
(none lost, each class's board counts only its own); a teacher code is refused on another class's page; a worker
killed mid-job has its job failed within a minute and the next one runs; a replica restarted mid-lesson, and its
students reload and carry on; PostgreSQL stopped for half a minute, and the pages say so in one sentence, then carry
on with nothing acknowledged lost."""

from __future__ import annotations

import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from test_app import tiny_run  # noqa: F401 (fixture)
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDENTS_PER_CLASS = 4  # bounded: 12 browser sessions on a 2-core machine (the bench sends 90)
VERDICT = re.compile("fooled it|caught that|not sure")


def sign_in(page, code: str) -> None:
    """The sidebar's code box (a student's sidebar starts collapsed)."""
    expander = page.locator('[data-testid="stSidebar"]').get_by_text("Teacher or admin", exact=True)
    expander.wait_for(state="attached")
    page.wait_for_selector("h1")
    if page.locator('[data-testid="stExpandSidebarButton"]').is_visible():  # collapsed: its contents are inert
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    expander.click()
    box = page.locator(".st-key-teacher_code_input input")
    box.fill(code)
    box.press("Enter")


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile(f"{title}$")).click()


def make_class(admin, name: str) -> tuple[str, str]:
    admin.get_by_label("Class name").fill(name)
    admin.get_by_role("button", name="Make the class").click()
    line = admin.get_by_text(re.compile(rf"^{name} · class code")).first
    line.wait_for()
    found = re.search(r"class code (\w+) · teacher code (\w+)", line.inner_text())
    return found.group(1), found.group(2)


def student(browser, url: str, code: str, nickname: str, text: str):
    page = browser.new_context(viewport={"width": 420, "height": 1400}).new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/?class={code}")
    page.locator(".st-key-challenge_nickname input").fill(nickname)
    page.locator(".st-key-challenge_text textarea").fill(text)
    return page


def send(page) -> None:
    page.get_by_role("button", name="Send").click(no_wait_after=True)


def verdict(page) -> str:
    heading = page.locator("h2").filter(has_text=VERDICT).first
    heading.wait_for()
    return heading.inner_text()


def test_a_school_with_three_classes(tiny_run, tiny_model_dir, real_data, tmp_path):  # noqa: F811
    from devtools.school import missing, school_server

    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    if missing():
        pytest.skip(missing())
    from playwright.sync_api import sync_playwright

    from spamcore.classroom.classes import School
    from spamcore.classroom.store import ClassStore, open_engine
    from spamcore.runs import queue

    SHOTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    for class_id in (1, 2, 3):  # each class's runs folder starts with a finished run its students attack
        shutil.copytree(tiny_run, runs / "classes" / f"class-{class_id}")
    with school_server(runs, real_data) as school, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        admin = browser.new_page(viewport={"width": 1300, "height": 1400})
        admin.set_default_timeout(120_000)
        admin.goto(school.url)
        admin.get_by_text("Class code").first.wait_for()  # everyone starts as a student who has not joined
        sign_in(admin, school.admin_code)
        admin.get_by_text("Make a class").wait_for()
        codes = {name: make_class(admin, name) for name in ("7A", "8B", "9C")}
        admin.screenshot(path=SHOTS / "school-admin.png", full_page=True)

        # Three teachers, each with their own code, start a round against the ready model.
        teachers = {}
        for name, (_, teacher_code) in codes.items():
            page = browser.new_context(viewport={"width": 1300, "height": 1600}).new_page()
            page.set_default_timeout(120_000)
            page.goto(school.url)
            sign_in(page, teacher_code)
            nav(page, "Class board")
            page.locator(".st-key-board_start button").click()
            page.get_by_text(re.compile(r"Round \d+ attacks run")).wait_for()
            assert page.get_by_text(f"?class={codes[name][0]}").count() >= 1, "the board shows its class's address"
            teachers[name] = page

        # Every teacher presses Start training at the same moment: queued, one at a time, all finish.
        for page in teachers.values():
            nav(page, "Train")
            page.locator(".st-key-train_model input").fill(str(tiny_model_dir))
            page.locator(".st-key-train_max_rows input").fill("300")
            page.locator(".st-key-train_max_rows input").press("Enter")
            page.get_by_text(re.compile(r"This training will take about \d+ seconds")).wait_for()  # timed once
            settle(page, 300)
        for page in teachers.values():
            page.locator(".st-key-train_start button").click(no_wait_after=True)
        waiting = list(teachers.values())
        in_line = re.compile(r"training worker: (next|2nd|3rd) in line")
        seen, deadline = [], time.monotonic() + 60
        while not seen and time.monotonic() < deadline:  # while the first trains, the others say their place
            seen = [p for p in waiting if in_line.search(p.locator("body").inner_text())]
            time.sleep(0.2)
        assert seen, "no Train page said its place in line"
        seen[0].screenshot(path=SHOTS / "school-train-queued.png")
        for page in waiting:
            page.get_by_text("Finished in").wait_for(timeout=300_000)
        deadline = time.monotonic() + 30  # the worker marks the last one a moment after its page says finished
        while [j.status for j in queue.jobs(school.postgres.url)] != ["succeeded"] * 3:
            assert time.monotonic() < deadline, queue.jobs(school.postgres.url)
            time.sleep(0.3)
        teachers["7A"].screenshot(path=SHOTS / "school-train.png", full_page=True)

        # Students of every class press Send together; nothing is lost, and each board counts only its own.
        pages = [student(browser, school.url, code, f"{name}-s{i}", f"free prize {i} for class {name}, reply now")
                 for name, (code, _) in codes.items() for i in range(STUDENTS_PER_CLASS)]
        for page in pages:
            send(page)
        for page in pages:
            verdict(page)
        engine = open_engine(school.postgres.url)
        by_class = {c.name: ClassStore(engine, c.id).count() for c in School(engine).all()}
        assert by_class == {name: STUDENTS_PER_CLASS for name in codes}
        teachers["8B"].reload()  # a reload is a new session: the code again (never in the address the projector shows)
        teachers["8B"].get_by_text("Page not found").wait_for()  # the board is not a student's page
        teachers["8B"].keyboard.press("Escape")
        sign_in(teachers["8B"], codes["8B"][1])
        nav(teachers["8B"], "Class board")
        teachers["8B"].get_by_text(re.compile(rf"^{STUDENTS_PER_CLASS}$")).first.wait_for()

        # A teacher code opens only its own class: on a page of class 8B, 7A's code is refused.
        other = browser.new_context(viewport={"width": 1300, "height": 1200}).new_page()
        other.goto(f"{school.url}/?class={codes['8B'][0]}")
        sign_in(other, codes["7A"][1])
        other.get_by_text("That is another class's teacher code").wait_for()
        assert other.locator('[data-testid="stSidebarNav"] a').filter(has_text="Class board").count() == 0
        other.screenshot(path=SHOTS / "school-code-refused.png")
        other.context.close()

        # A worker killed mid-job: its job fails within a minute, the next job runs.
        long_job = school.spamcore("jobs", "submit", "--database", school.postgres.url, "--runs",
                                   str(runs / "classes" / "class-1"), "--data", str(real_data), "--recipe",
                                   "finetune", "--model", str(tiny_model_dir), "--max-rows", "300", "--epochs", "200",
                                   "--augment", "none", "--extra-data", "none", "--name", "long")
        next_job = school.spamcore("jobs", "submit", "--database", school.postgres.url, "--runs",
                                   str(runs / "classes" / "class-2"), "--data", str(real_data), "--recipe", "frozen",
                                   "--model", str(tiny_model_dir), "--max-rows", "300", "--name", "after-the-kill")
        assert long_job.returncode == 0 and next_job.returncode == 0, long_job.stderr + next_job.stderr
        deadline = time.monotonic() + 120
        while queue.status(school.postgres.url, int(re.search(r'"id": (\d+)', long_job.stdout).group(1))) != "doing":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        time.sleep(8)  # training, mid-job
        school.stop("worker", signal.SIGKILL)
        killed = time.monotonic()
        school.start_worker()  # what systemd's Restart=always does
        long_id = int(re.search(r'"id": (\d+)', long_job.stdout).group(1))
        next_id = int(re.search(r'"id": (\d+)', next_job.stdout).group(1))
        while queue.status(school.postgres.url, long_id) != "failed":
            assert time.monotonic() - killed < 60, "the lost job was not resolved within a minute"
            time.sleep(1)
        while queue.status(school.postgres.url, next_id) != "succeeded":
            assert time.monotonic() - killed < 240
            time.sleep(1)

        # One replica restarted mid-lesson: its students reload and carry on.
        school.stop("replica-0")
        school.start_replica(0)
        for i, page in enumerate(pages):
            page.reload()
            page.locator(".st-key-challenge_nickname input").fill(f"again-{i}")
            page.locator(".st-key-challenge_text textarea").fill(f"after the restart, win cash {i}")
            send(page)
            verdict(page)
        assert sum(ClassStore(engine, c.id).count() for c in School(engine).all()) == 2 * len(pages)

        # PostgreSQL stopped for half a minute mid-lesson, a training running: one sentence on the pages, then
        # everything carries on, the training included.
        during = school.spamcore("jobs", "submit", "--database", school.postgres.url, "--runs",
                                 str(runs / "classes" / "class-3"), "--data", str(real_data), "--recipe", "finetune",
                                 "--model", str(tiny_model_dir), "--max-rows", "300", "--epochs", "25",
                                 "--augment", "none", "--extra-data", "none", "--name", "during-the-outage")
        during_id = int(re.search(r'"id": (\d+)', during.stdout).group(1))
        while queue.status(school.postgres.url, during_id) != "doing":
            time.sleep(0.5)
        school.postgres.stop()
        down = pages[0]
        down.locator(".st-key-challenge_text textarea").fill("sent while the database was away")
        send(down)
        down.get_by_text("The class database cannot be reached just now").wait_for()
        down.screenshot(path=SHOTS / "school-database-away.png", full_page=True)
        time.sleep(25)
        school.postgres.start()
        engine.dispose()
        down.reload()
        down.locator(".st-key-challenge_nickname input").fill("again-0")
        down.locator(".st-key-challenge_text textarea").fill("sent once the database was back")
        send(down)
        verdict(down)
        deadline = time.monotonic() + 240
        while queue.status(school.postgres.url, during_id) in ("todo", "doing"):
            assert time.monotonic() < deadline
            time.sleep(1)
        assert queue.status(school.postgres.url, during_id) == "succeeded", (school.tmp / "worker.log").read_text()
        texts = [t for c in School(engine).all() for t in ClassStore(engine, c.id).frame()["text"]]
        assert len(texts) == 2 * len(pages) + 1 and "sent once the database was back" in texts
        after = school.spamcore("jobs", "submit", "--database", school.postgres.url, "--runs",
                                str(runs / "classes" / "class-3"), "--data", str(real_data), "--recipe", "frozen",
                                "--model", str(tiny_model_dir), "--max-rows", "300", "--name", "after-the-outage")
        assert after.returncode == 0, after.stderr
        after_id = int(re.search(r'"id": (\d+)', after.stdout).group(1))
        deadline = time.monotonic() + 180
        while queue.status(school.postgres.url, after_id) != "succeeded":
            assert time.monotonic() < deadline, (school.tmp / "worker.log").read_text()[-3000:]
            time.sleep(1)
        engine.dispose()
        browser.close()
