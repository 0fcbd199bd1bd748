"""End to end in headless Chromium: the real server, real clicks, the real data and the bundled model.

One module-scoped ``spamcore app`` on a free port; the tests run in file order and share the browser
session (upload → train live → evaluate → classify). Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.browser import CHROMIUM, CHROMIUM_ARGS, free_port, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
RUN_NAME = "browser-frozen"
# Hand-written messages (never lines of the SMS Spam Collection).
UPLOAD_ROWS = [
    ("ham", "Hi Sam, the bus is late so I will be ten minutes behind"),
    ("ham", "Can you bring the blue folder to class tomorrow?"),
    ("ham", "Dinner at grandma's on Sunday, she says bring dessert"),
    ("ham", "Thanks for the notes, see you at practice"),
    ("ham", "I left my umbrella in your car, no rush"),
    ("ham", "Meeting moved to 3pm, same room"),
    ("spam", "CONGRATS! You are our lucky winner of a £500 voucher. Text WIN to 81234 now"),
    ("spam", "Final notice: claim your FREE mobile upgrade today, call 09012345678"),
    ("spam", "You have been chosen for a cash reward. Reply YES to 80001 to collect"),
]
SPAM_MESSAGE = ("URGENT! You have WON a guaranteed £1000 cash prize. Call 09061234567 now to claim your reward. "
                "T&C apply, txt STOP to end")
HAM_MESSAGE = "Hey, are we still meeting for lunch at 1? I'll wait at the cafe near the station"


def kill_trainers(runs: Path) -> None:
    """SIGKILL the process group of every job's trainer under ``runs`` that is still alive."""
    for job_file in runs.glob("*/job.json"):
        pid = json.loads(job_file.read_text()).get("pid")
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)


#: The server process behind each URL that streamlit_server yields (a test may kill one).
SERVERS: dict[str, subprocess.Popen] = {}


@contextlib.contextmanager
def streamlit_server(tmp: Path, runs: Path, data: Path, env: dict | None = None, kill_jobs: bool = True,
                     netns: tuple[str, str] | None = None):
    """``spamcore app`` on a free loopback port; always terminated (then killed) on exit, and with it
    (``kill_jobs``) the trainers it started. With ``netns`` (a namespace and its address, from
    ``devtools.netns.server_namespace``) the server runs in that namespace and the URL is its address there, so
    browsers on this machine arrive from a non-loopback address."""
    port = free_port()
    environment = {**os.environ, "SPAMCORE_RUNS": str(runs), "SPAMCORE_DATA": str(data),
                   "SPAMCORE_CACHE": str(tmp / "cache"), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
                   **(env or {})}
    host = netns[1] if netns else "127.0.0.1"
    prefix = ["ip", "netns", "exec", netns[0]] if netns else []  # ip execs the command: the pid stays the server's
    command = [*prefix, sys.executable, "-m", "spamcore", "app", "--port", str(port), "--host", host]
    url = f"http://{host}:{port}"
    # As a teacher starts it, from a folder of their own.
    with running_server(command, url, cwd=tmp, env=environment, log_path=tmp / "server.log") as proc:
        SERVERS[url] = proc
        try:
            yield url
        finally:
            if kill_jobs:  # trainers outlive their server by design; a test's must not outlive the test
                kill_trainers(runs)


@pytest.fixture(scope="module")
def server(real_data, tmp_path_factory):
    """``spamcore app`` with an empty runs folder and cache, the real data as the built-in data."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("browser")
    with streamlit_server(tmp, tmp / "runs", real_data) as url:
        yield {"url": url, "tmp": tmp}


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 2000})
        tab.set_default_timeout(60_000)
        tab.goto(server["url"])
        tab.wait_for_selector("h1")
        yield tab
        browser.close()


HEADINGS = {"Home": "spamcore"}


def go(page, title: str) -> None:
    """Click a page in the sidebar navigation (same session) and wait for its heading."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile(f"{title}$")).click()
    page.wait_for_selector(f"h1:has-text('{HEADINGS.get(title, title)}')")


def settle(page, ms: int = 800) -> None:
    """Wait for the script run to end (the status widget disappears) and a little longer for charts."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(ms)


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def test_every_page_opens(page):
    for title in ("Home", "Data", "Train", "Evaluate", "Classify"):
        go(page, title)
        settle(page)
        no_exception(page)
    page.get_by_text("No trained run yet").wait_for()
    go(page, "Home")
    page.get_by_text("Data found: 5,574 messages").wait_for()
    assert "Almeida" in page.content()
    page.screenshot(path=SHOTS / "home.png")


def test_upload_a_csv(page, tmp_path):
    csv = tmp_path / "classroom.csv"
    csv.write_text("label,text\n" + "".join(f'{label},"{text}"\n' for label, text in UPLOAD_ROWS))
    go(page, "Data")
    page.locator(".st-key-data_source label").filter(has_text="Upload a CSV/TSV").click()
    page.locator(".st-key-data_upload input[type=file]").set_input_files(str(csv))
    page.get_by_text(f"upload: classroom.csv: {len(UPLOAD_ROWS)} messages").wait_for()
    page.get_by_text("upload: classroom.csv").first.wait_for()
    settle(page)
    no_exception(page)
    page.get_by_text("too few messages to split").wait_for()  # 9 messages: shown, not trained on
    assert page.locator(".st-key-chart_balance .js-plotly-plot").count() == 1
    page.screenshot(path=SHOTS / "data-upload.png")
    # Back to the built-in collection for training.
    page.locator(".st-key-data_source label").filter(has_text="SMS Spam Collection (built-in)").click()
    page.get_by_text("SMS Spam Collection (built-in): 5,574 messages").wait_for()
    settle(page, 2000)
    page.screenshot(path=SHOTS / "data.png")


def steps_plotted(page) -> int | None:
    caption = page.get_by_text(re.compile(r"^[\d,]+ steps plotted$"))
    if caption.count() == 0:
        return None
    return int(caption.first.inner_text().split()[0].replace(",", ""))


@pytest.mark.timeout(900)
def test_train_live_then_evaluate_and_classify(page):
    started = time.monotonic()
    go(page, "Train")
    page.locator(".st-key-train_run_name input").fill(RUN_NAME)
    page.locator(".st-key-train_run_name input").press("Enter")
    settle(page, 300)
    page.locator(".st-key-train_start button").click()
    page.get_by_text(f"Run {RUN_NAME}").wait_for()

    # Mid-training: another page and back (same session), then a reload (a new session) find the same job.
    go(page, "Data")
    go(page, "Train")
    page.get_by_text(f"Run {RUN_NAME}").wait_for()
    page.reload()
    page.wait_for_selector("h1:has-text('Train')")
    page.get_by_text(f"Run {RUN_NAME}").wait_for()
    no_exception(page)

    # The live chart: count how many different numbers of plotted steps we see while it trains.
    seen: list[int] = []
    shot_taken = False
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        steps = steps_plotted(page)
        if steps is not None and (not seen or steps != seen[-1]):
            seen.append(steps)
        if not shot_taken and steps and steps > 300:
            page.screenshot(path=SHOTS / "train-live.png")
            shot_taken = True
        if page.get_by_text(re.compile("^Finished in")).count():
            break
        page.wait_for_timeout(250)
    page.get_by_text(re.compile("^Finished in")).wait_for()
    seen.append(steps_plotted(page))
    trained = time.monotonic() - started
    assert len([s for s in seen if s > 0]) >= 3, f"the loss chart updated too rarely: {seen}"
    assert seen == sorted(seen)
    assert seen[-1] == 2440  # 3,901 training messages / 16 per batch = 244 steps × 10 epochs
    settle(page, 1500)
    no_exception(page)
    page.screenshot(path=SHOTS / "train.png")

    go(page, "Evaluate")
    page.get_by_text("Test accuracy").wait_for()
    settle(page, 1500)
    no_exception(page)
    page.get_by_text(f"Run {RUN_NAME} · frozen recipe").wait_for()  # the finished run is selected
    # + the threshold's confusion matrix, PR and ROC, the reliability diagram, and the robustness suite by category
    assert page.locator(".js-plotly-plot").count() == 8
    page.screenshot(path=SHOTS / "evaluate.png")
    honest = page.get_by_text("Honest probabilities: calibration and “not sure”")
    honest.evaluate("e => e.scrollIntoView({block: 'start'})")
    settle(page, 800)
    page.screenshot(path=SHOTS / "evaluate-calibration.png", full_page=False)
    outside = page.get_by_text("Outside the test set: messages written today")
    outside.scroll_into_view_if_needed()
    page.get_by_text("Shortcut probes:").wait_for()
    assert page.get_by_text("Typed spam: F1").count() == 1
    settle(page, 800)
    outside.evaluate("e => e.scrollIntoView({block: 'start'})")
    settle(page, 500)
    page.screenshot(path=SHOTS / "evaluate-outside.png", full_page=False)
    page.locator(".st-key-eval_probe_text").scroll_into_view_if_needed()
    settle(page, 500)
    page.screenshot(path=SHOTS / "evaluate-probes.png", full_page=False)

    go(page, "Classify")
    verdicts = {}
    for message, expected in ((SPAM_MESSAGE, "SPAM"), (HAM_MESSAGE, "HAM")):
        box = page.locator(".st-key-classify_text textarea")
        box.fill(message)
        box.press("Control+Enter")
        page.locator("h2").filter(has_text=f"Verdict: {expected}").wait_for(timeout=60_000)
        settle(page, 1000)
        verdicts[expected] = page.locator("h2").filter(has_text="Verdict").inner_text()
        if expected == "SPAM":
            page.screenshot(path=SHOTS / "classify.png")
    no_exception(page)
    flow = time.monotonic() - started
    print(f"\nclassroom flow: training finished after {trained:.0f} s, whole flow {flow:.0f} s; verdicts {verdicts}")
