"""A class of 30 submitting within the same minute: the server's part of submit → verdict, on the real model.

    python bench/class_load.py [--run RUN_DIR] [--students 30] [--per-student 3] [--db URL]

What the Challenge page does for one submission — the verdict from the run's classifier (no explanation) and the
insert into the class store — is run by 30 threads (one per student, as Streamlit runs one script thread per
session), each sending its messages at random moments within one minute. Browsers on the same two cores would
measure themselves, so this measures the server's part only. Printed: latency p50/p95/max as the server sees it,
errors, submissions found in the database against those sent, CPU per verdict and the process's peak memory.
The page's own rerun around it (about 0.08 s of server CPU per typed message, measured by bench/laptop.py on
Classify) is not in these figures. ``--seconds 1`` sends everything within one second (a burst).

``--sessions 30`` also opens 30 student pages in headless Chromium on a real ``streamlit run`` and reports the
server's memory per open session.

Default run: the newest finished run in ``$SPAMCORE_RUNS``; default database: a fresh SQLite file (``--db`` takes a
PostgreSQL URL).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MESSAGES = [
    "f r e e  entry to win a car, reply WIN", "are you coming to practice tonight?", "Y0ur p@rcel is w4iting, pay £1",
    "hi mum new phone, can you send 50 for the bus", "Congrats!! u r selected 4 a prize", "lunch at 1?",
    "URGENT: account locked, verify at bank-help.example", "your code is 4412", "Сlаim уоur rеwаrd now",
    "can you bring the charger back", "we tried to deliver your parcel, reschedule here", "happy birthday!!",
]


def session_memory(run: Path, sessions: int) -> tuple[float, float]:
    """Server memory (RSS, MB) with one student page open, and per further open student session, measured on a
    real ``streamlit run`` with ``sessions`` Chromium contexts on Challenge."""
    import shutil

    sys.path.insert(0, str(ROOT / "tests"))
    from playwright.sync_api import sync_playwright
    from test_browser import SERVERS, streamlit_server

    from devtools.browser import CHROMIUM, CHROMIUM_ARGS
    from spamcore.classroom.store import open_store

    def rss_mb(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        shutil.copytree(run, tmp / "runs" / run.name)
        db = f"sqlite:///{tmp / 'class.sqlite3'}"
        open_store(db).start_round(run.name)
        env = {"SPAMCORE_LOCAL_IS_TEACHER": "0", "SPAMCORE_DB": db}
        data = Path(os.environ.get("SPAMCORE_DATA", ROOT.parent / "shared" / "data" / "SMSSpamCollection"))
        with sync_playwright() as playwright, streamlit_server(tmp, tmp / "runs", data, env=env) as url:
            pid = SERVERS[url].pid
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            pages = []
            for i in range(sessions):
                page = browser.new_context().new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                page.get_by_text("Your message").wait_for()
                pages.append(page)
                if i == 0:
                    time.sleep(2)
                    first = rss_mb(pid)
            time.sleep(3)
            last = rss_mb(pid)
            browser.close()
    return first, (last - first) / max(sessions - 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--per-student", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="the window all submissions fall in")
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--sessions", type=int, default=0, help="also open this many student pages on a real "
                        "server and report its memory per open session")
    args = parser.parse_args()

    import torch

    from spamcore.classroom.rounds import judge
    from spamcore.classroom.store import ClassError, open_store
    from spamcore.model.saved import load_classifier
    from spamcore.runs.store import list_runs

    run = Path(args.run) if args.run else next((r.path for r in list_runs() if r.usable), None)
    if run is None:
        raise SystemExit("no finished run: train one (spamcore train --recipe finetune) or pass --run")
    classifier = load_classifier(run)
    judge(classifier, "warm-up", "ham")
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.db or f"sqlite:///{Path(folder) / 'class.sqlite3'}")
        round_ = store.start_round(run.name)
        rng = np.random.default_rng(0)
        plan = sorted((float(rng.uniform(0, args.seconds)), s, k) for s in range(args.students)
                      for k in range(args.per_student))
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = time.perf_counter()
        cpu_start = time.process_time()

        def student(sid: int) -> None:
            for at, s, k in plan:
                if s != sid:
                    continue
                time.sleep(max(0.0, start + at - time.perf_counter()))
                text = f"{MESSAGES[(sid + k) % len(MESSAGES)]} #{sid}-{k}"
                began = time.perf_counter()
                try:
                    attempt = judge(classifier, text, "spam" if k % 2 else "ham")
                    store.submit(round_.id, f"session-{sid}", f"student{sid}", text, "spam" if k % 2 else "ham",
                                 attempt.verdict, attempt.spam_probability)
                except ClassError as err:
                    with lock:
                        errors.append(str(err))
                with lock:
                    latencies.append(time.perf_counter() - began)

        threads = [threading.Thread(target=student, args=(i,)) for i in range(args.students)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = time.process_time() - cpu_start
        stored = store.count()
        sent = args.students * args.per_student
    lat = np.array(latencies)
    print(f"run {run.name}; {args.students} students × {args.per_student} messages within {args.seconds:.0f} s; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, bf16 {classifier.bf16}")
    print(f"submit → verdict (server side): p50 {np.percentile(lat, 50) * 1000:.0f} ms, p95 "
          f"{np.percentile(lat, 95) * 1000:.0f} ms, max {lat.max() * 1000:.0f} ms")
    print(f"errors {len(errors)}; stored {stored} of {sent} sent")
    print(f"CPU per verdict (verdict + insert, this process): {cpu / sent * 1000:.0f} ms; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
          f"median gap between messages {statistics.median(np.diff([p[0] for p in plan])) * 1000:.0f} ms")
    if args.sessions:
        first, per = session_memory(run, args.sessions)
        print(f"server memory with one student page open {first:,.0f} MB; each further open session "
              f"{per:,.1f} MB ({args.sessions} sessions)")
    if errors or stored != sent:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
