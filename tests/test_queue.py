"""Trainings queued in a real PostgreSQL (``$SPAMCORE_TEST_POSTGRES``; CI starts Debian's server) and run by real
``spamcore worker`` processes on the tiny random BERT: one at a time and all finish, a place in line, cancel and
stop, a killed worker's job failed within a minute and the next one run, the scripts' JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa
from test_jobs import tiny_config, wait_until

from spamcore.runs import queue
from spamcore.runs.jobs import JobManager
from spamcore.runs.progress import ProgressReader

POSTGRES = os.environ.get("SPAMCORE_TEST_POSTGRES", "")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="set SPAMCORE_TEST_POSTGRES=postgresql://user:pass@host/db")


@pytest.fixture()
def database():
    """A queue of its own: a fresh schema, dropped afterwards."""
    schema = f"q_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    yield url
    queue.sync_app.cache_clear()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


class Worker:
    """A ``spamcore worker`` process (its own process group, so a kill takes it whole but leaves its trainers)."""

    def __init__(self, url: str, tmp_path, name: str = "worker") -> None:
        self.log = tmp_path / f"{name}.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "spamcore", "worker", "--database", url],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture()
def workers(tmp_path):
    started: list[Worker] = []

    def start(url: str) -> Worker:
        worker = Worker(url, tmp_path, f"worker-{len(started)}")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def test_three_trainings_wait_in_line_then_run_one_at_a_time(database, workers, tiny_model_dir, small_frame,
                                                            tmp_path):
    manager = JobManager(tmp_path / "runs", queue=database)
    jobs = [manager.start(tiny_config(tiny_model_dir, epochs=1), small_frame, "hand-written", run_name=f"job-{i}")
            for i in range(3)]
    snaps = [job.snapshot() for job in jobs]
    assert [s.status for s in snaps] == ["queued"] * 3
    assert [s.queue_position for s in snaps] == [1, 2, 3]
    assert snaps[0].waiting().startswith("next in line") and snaps[1].waiting().startswith("2nd in line")
    assert all(job.pid is None for job in jobs), "nothing runs before a worker takes it"

    workers(database)
    for job in jobs:
        wait_until(lambda job=job: manager.get(job.run_name).snapshot().status == "finished", timeout=240, every=0.5)
    spans = []
    for job in jobs:
        progress = [json.loads(line) for line in (job.run_dir / "progress.jsonl").read_text().splitlines()]
        spans.append((progress[0]["t"], progress[-1]["t"]))
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(2)), f"one at a time: {spans}"
    wait_until(lambda: [j.status for j in queue.jobs(database)] == ["succeeded"] * 3, timeout=30, every=0.2)


def test_cancel_a_waiting_job_and_stop_a_running_one(database, workers, tiny_model_dir, small_frame, tmp_path):
    manager = JobManager(tmp_path / "runs", queue=database)
    running = manager.start(tiny_config(tiny_model_dir, epochs=40), small_frame, "hand-written", run_name="long")
    waiting = manager.start(tiny_config(tiny_model_dir, epochs=1), small_frame, "hand-written", run_name="next")
    waiting.stop()
    snap = manager.get("next").snapshot()
    assert snap.status == "stopped" and "Cancelled before it started" in snap.error
    assert queue.status(database, waiting.queue_id) == "cancelled"

    workers(database)
    wait_until(lambda: manager.get("long").snapshot().step >= 3, timeout=120, every=0.2)
    manager.get("long").stop()
    wait_until(lambda: queue.status(database, running.queue_id) in ("succeeded", "aborted"), timeout=120, every=0.5)
    final = manager.get("long").snapshot()
    assert final.status == "stopped" and final.step < final.total_steps
    assert not (tmp_path / "runs" / "next" / "progress.jsonl").exists(), "the cancelled job never started"


def test_a_killed_workers_job_fails_within_a_minute_and_the_next_one_runs(database, workers, tiny_model_dir,
                                                                          small_frame, tmp_path):
    manager = JobManager(tmp_path / "runs", queue=database)
    lost = manager.start(tiny_config(tiny_model_dir, epochs=200), small_frame, "hand-written", run_name="lost")
    manager.start(tiny_config(tiny_model_dir, epochs=1), small_frame, "hand-written", run_name="after")
    first = workers(database)
    wait_until(lambda: manager.get("lost").snapshot().step >= 2, timeout=120, every=0.2)
    trainer = manager.get("lost").pid
    first.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    assert manager.get("lost").snapshot().status == "running", "its trainer lives on, orphaned, until found"

    workers(database)  # the one systemd restarts
    wait_until(lambda: queue.status(database, lost.queue_id) == "failed", timeout=90, every=0.5)
    resolved = time.monotonic() - killed_at
    assert resolved <= 60, f"resolved after {resolved:.0f} s"
    snap = manager.get("lost").snapshot()
    assert snap.status == "failed" and "worker stopped sending heartbeats" in snap.error
    assert ProgressReader(lost.run_dir).read().status == "failed"
    from spamcore.runs.processes import pid_alive

    wait_until(lambda: not pid_alive(trainer), timeout=15)
    wait_until(lambda: manager.get("after").snapshot().status == "finished", timeout=180, every=0.5)


def spamcore(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spamcore", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_scripts_submit_list_and_cancel_in_json(database, tiny_model_dir, small_frame, tmp_path):
    data = tmp_path / "messages.csv"
    small_frame.to_csv(data, index=False)
    submitted = spamcore("jobs", "submit", "--database", database, "--runs", str(tmp_path / "runs"), "--data",
                         str(data), "--recipe", "finetune", "--model", str(tiny_model_dir), "--epochs", "1",
                         "--name", "scripted")
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["run"] == "scripted" and job["status"] == "todo"
    assert (tmp_path / "runs" / "scripted" / "job.json").is_file()

    listed = spamcore("jobs", "list", env={queue.QUEUE_ENV: database})
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [{"id": job["id"], "status": "todo", "run_dir": job["run_dir"],
                                          "position": 1}]
    cancelled = spamcore("jobs", "cancel", str(job["id"]), "--database", database)
    assert json.loads(cancelled.stdout) == {"id": job["id"], "cancelled": True, "status": "cancelled"}
    again = spamcore("jobs", "cancel", str(job["id"]), "--database", database)
    assert again.returncode == 1 and json.loads(again.stdout)["cancelled"] is False


def test_a_missing_or_unreachable_queue_is_one_sentence(tmp_path):
    missing = spamcore("worker", env={queue.QUEUE_ENV: ""})
    assert missing.returncode == 2 and missing.stderr.startswith("error: name the queue's database")
    away = spamcore("jobs", "list", "--database", "postgresql://nobody:x@127.0.0.1:1/none")
    assert away.returncode == 2 and "Traceback" not in away.stderr
    assert away.stderr.startswith("error: cannot reach the training queue at postgresql://nobody@127.0.0.1/none")
    sqlite = spamcore("jobs", "list", "--database", f"sqlite:///{tmp_path}/x.db")
    assert sqlite.returncode == 2 and "needs a PostgreSQL URL" in sqlite.stderr
