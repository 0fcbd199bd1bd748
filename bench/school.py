"""A school's server under a lesson's load (issue 41), every figure from one run on this host, the bf16 peak beside.

    python bench/school.py [--students 90] [--wave 10] [--rows 1500] [--update-docs]

The set-up is docs/school.md's, made by ``devtools.school``: PostgreSQL, two ``spamcore app --school`` replicas
behind nginx and one ``spamcore worker``, in a network namespace of their own. Three classes.

1. Trainings: the same three trainings (frozen recipe, bundled MiniLM, ``--rows`` messages; one per class, through
   ``spamcore jobs submit``) first one after another (each alone), then requested at once (queued); the reference
   in the same run is the three launched at once with no queue (``SPAMCORE_MAX_JOBS=3``: oversubscribed, as three
   classes would on a server without one). Target: at once ≤ 1.15× the sum of the single times.
2. A lesson: a teacher's board open for each class (Chromium, the verdicts of the ready model); ``--students``
   students across the three classes each open their class's address, write a message and press Send, ``--wave``
   at a time. Printed: sent, acknowledged (a verdict on the page), found in the database (lost = acknowledged −
   found, target 0), each verdict's time after Send, and the boards' redraws (each time the running indicator shows
   and goes, seen from the page; target p95 < 1 s).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

MARK = "school-bench"  # the markers in docs/school.md
#: Logs each appearance and disappearance of Streamlit's running indicator (a board redraw) with its time.
WATCH_REDRAWS = """() => { window.__redraws = []; let since = null;
  new MutationObserver(() => { const on = !!document.querySelector('[data-testid="stStatusWidget"]');
    if (on && since === null) since = performance.now();
    if (!on && since !== null) { window.__redraws.push(performance.now() - since); since = null; } })
  .observe(document.body, {childList: true, subtree: true}); }"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def submit(school, data: str, runs: Path, rows: int, name: str) -> int:
    done = school.spamcore("jobs", "submit", "--database", school.postgres.url, "--runs", str(runs), "--data", data,
                           "--recipe", "frozen", "--max-rows", str(rows), "--name", name)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return int(json.loads(done.stdout)["id"])


def wait_done(url: str, ids: list[int]) -> None:
    from spamcore.runs import queue

    while any(queue.status(url, i) in ("todo", "doing") for i in ids):
        time.sleep(0.5)
    failed = [i for i in ids if queue.status(url, i) != "succeeded"]
    if failed:
        raise RuntimeError(f"jobs {failed} did not succeed")


def trainings(school, data: str, rows: int) -> dict:
    """Seconds: each alone, the three queued at once, the three oversubscribed (no queue)."""
    from spamcore.data.messages import read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.jobs import JobManager

    classes = [school.runs / "classes" / f"class-{i}" for i in (1, 2, 3)]
    alone = []
    for i, runs in enumerate(classes):
        start = time.perf_counter()
        wait_done(school.postgres.url, [submit(school, data, runs, rows, f"alone-{i}")])
        alone.append(time.perf_counter() - start)
    start = time.perf_counter()
    wait_done(school.postgres.url, [submit(school, data, runs, rows, f"together-{i}")
                                    for i, runs in enumerate(classes)])
    queued = time.perf_counter() - start
    school.stop("worker")  # the reference: no queue, three trainers at once on the same cores
    frame = read_messages(data)
    manager = JobManager(school.tmp / "no-queue", max_jobs=3)
    start = time.perf_counter()
    jobs = [manager.start(recipe_defaults("frozen", max_rows=rows), frame, "SMS", run_name=f"no-queue-{i}",
                          data_path=data) for i in range(3)]
    for job in jobs:
        job.wait(3600)
    oversubscribed = time.perf_counter() - start
    school.start_worker()
    return {"alone": alone, "queued": queued, "oversubscribed": oversubscribed}


def lesson(school, students: int, wave: int) -> dict:
    """Teachers' boards open, students sending in waves; what was acknowledged, found, and how fast."""
    from playwright.sync_api import sync_playwright

    from devtools.browser import CHROMIUM, CHROMIUM_ARGS
    from spamcore.classroom.classes import School
    from spamcore.classroom.store import ClassStore, open_engine
    from spamcore.model.ready import READY_NAME

    engine = open_engine(school.postgres.url)
    made = [School(engine).create(f"class {n}") for n in ("7A", "8B", "9C")]
    for made_class, _ in made:
        ClassStore(engine, made_class.id).start_round(READY_NAME)
    latencies, acknowledged, sent = [], 0, 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        boards = []
        for made_class, teacher_code in made:
            board = browser.new_context(viewport={"width": 1300, "height": 1400}).new_page()
            board.set_default_timeout(180_000)
            board.goto(f"{school.url}/?class={made_class.code}")
            board.locator('[data-testid="stSidebar"]').get_by_text("Teacher or admin", exact=True).wait_for(
                state="attached")
            board.wait_for_selector("h1")
            if board.locator('[data-testid="stExpandSidebarButton"]').is_visible():
                board.locator('[data-testid="stExpandSidebarButton"]').click()
            board.locator('[data-testid="stSidebar"]').get_by_text("Teacher or admin", exact=True).click()
            board.locator(".st-key-teacher_code_input input").fill(teacher_code)
            board.locator(".st-key-teacher_code_input input").press("Enter")
            board.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile("Class board$")).click()
            board.get_by_text(re.compile(r"Round \d+ attacks run")).wait_for()
            board.evaluate(WATCH_REDRAWS)
            boards.append(board)
        for first in range(0, students, wave):
            pages = []
            for n in range(first, min(students, first + wave)):
                made_class = made[n % 3][0]
                page = browser.new_context(viewport={"width": 420, "height": 1400}).new_page()
                page.set_default_timeout(180_000)
                page.goto(f"{school.url}/?class={made_class.code}")
                page.locator(".st-key-challenge_nickname input").fill(f"student-{n}")
                page.locator(".st-key-challenge_text textarea").fill(f"Claim your prize number {n} now, reply WIN")
                pages.append(page)
            clicked = []
            for page in pages:
                page.get_by_role("button", name="Send").click(no_wait_after=True)
                clicked.append(time.perf_counter())
                sent += 1
            for page, at in zip(pages, clicked, strict=True):
                try:
                    page.locator("h2").filter(has_text=re.compile("fooled it|caught that|not sure")).first.wait_for()
                    latencies.append(time.perf_counter() - at)
                    acknowledged += 1
                except Exception:  # counted as not acknowledged: the student would see no verdict
                    pass
                page.context.close()
        time.sleep(12)  # one more board redraw with every message in
        redraws = [ms / 1000 for board in boards for ms in board.evaluate("window.__redraws")]
        browser.close()
    found = sum(ClassStore(engine, c.id).count() for c, _ in made)
    engine.dispose()
    return {"sent": sent, "acknowledged": acknowledged, "found": found, "latency_p50": percentile(latencies, 0.5),
            "latency_p95": percentile(latencies, 0.95), "redraws": len(redraws),
            "redraw_p50": percentile(redraws, 0.5), "redraw_p95": percentile(redraws, 0.95)}


def table(peak: float, train: dict | None, load: dict | None, host: str) -> str:
    lines = [f"Host: {host}; bf16 matmul peak this run {peak:.0f} GFLOP/s.", ""]
    if train:
        total = sum(train["alone"])
        lines += ["| three trainings | seconds | against the sum of single times |", "|---|---|---|",
                  *[f"| class {i + 1} alone | {s:.0f} | |" for i, s in enumerate(train["alone"])],
                  f"| sum of the three alone | {total:.0f} | 1.00× |",
                  f"| requested at once, queued (one worker) | {train['queued']:.0f} | "
                  f"**{train['queued'] / total:.2f}×** (target ≤ 1.15×) |",
                  f"| launched at once, no queue (reference) | {train['oversubscribed']:.0f} | "
                  f"{train['oversubscribed'] / total:.2f}× |", ""]
    if load:
        lost = load["acknowledged"] - load["found"]
        lines += ["| a lesson: students across three classes | value |", "|---|---|",
                  f"| sent / acknowledged / found in the database | {load['sent']} / {load['acknowledged']} / "
                  f"{load['found']} |", f"| lost (acknowledged, not found) | **{lost}** (target 0) |",
                  f"| verdict after Send, p50 / p95 | {load['latency_p50']:.2f} s / {load['latency_p95']:.2f} s |",
                  f"| board redraws seen on 3 boards / p50 / p95 | {load['redraws']} / {load['redraw_p50']:.2f} s / "
                  f"**{load['redraw_p95']:.2f} s** (target < 1 s) |"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=90)
    parser.add_argument("--wave", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--skip-trainings", action="store_true")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    import os
    import platform

    from robustness import bf16_peak_gflops

    from devtools.school import missing, school_server

    if missing():
        print(f"cannot set a school up here: {missing()}", file=sys.stderr)
        return 2
    data = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))
    peak = bf16_peak_gflops()
    host = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"bf16 peak {peak:.0f} GFLOP/s", flush=True)
    with school_server(Path(tempfile.mkdtemp(prefix="school-bench-")) / "runs", Path(data)) as school:
        train = None if args.skip_trainings else trainings(school, data, args.rows)
        print(train, flush=True)
        load = lesson(school, args.students, args.wave)
    text = table(peak, train, load, host)
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, MARK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
