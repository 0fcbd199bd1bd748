"""``spamcore worker``: runs the trainings queued in PostgreSQL (:mod:`spamcore.runs.queue`), one at a time by
default, and fails the jobs of workers that went silent.

Each job launches the prepared run folder's trainer as a process of the worker (:func:`spamcore.runs.jobs.launch_job`)
and waits for it, passing a Stop on: the run folder's stop marker (written by Stop on any replica, or by
``spamcore jobs cancel`` through an abort request) asks the trainer to stop after its step; a second Stop's kill
marker kills it. Procrastinate notices a silent worker (no heartbeat for :data:`~spamcore.runs.queue.STALLED_AFTER_S`
seconds) but leaves its jobs as they were: :func:`recover_stalled` fails them and ends their orphaned trainers, every
few seconds, in every worker — except a job whose trainer is this worker's own live child (its heartbeat was only
late, while the database was away).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path

from spamcore.errors import ConfigError
from spamcore.runs.queue import (
    HEARTBEAT_S,
    KILL_FILE,
    QUEUE,
    QUEUE_EXTRA,
    RECOVER_EVERY_S,
    STALLED_AFTER_S,
    TASK,
    WORKER_LOST,
    QueueError,
    conninfo,
    ensure_schema,
    safe_url,
)

log = logging.getLogger("spamcore.queue")


def _worker_app(url: str):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))
    app.task(name=TASK, queue=QUEUE, pass_context=True)(_train)
    return app


async def _train(context, run_dir: str) -> str:
    """The worker's side of a job: launch the prepared trainer, wait for it, pass a Stop (the run folder's marker,
    or an abort through the queue) on to it.
    Ends failed (an exception) when the trainer did not finish or stop cleanly, so the queue says what the run
    folder says."""
    from spamcore.runs.jobs import Job, launch_job
    from spamcore.runs.processes import signal_tree

    folder = Path(run_dir)
    process = launch_job(folder)
    asked = False
    try:
        while process.poll() is None:
            await asyncio.sleep(0.5)
            kill = (folder / KILL_FILE).exists()
            if kill or (not asked and (folder / "stop-requested").exists()):
                signal_tree(process.pid, kill=kill)
                asked = True
    except asyncio.CancelledError:
        # Procrastinate cancels an async task to abort it (a Stop through the queue, or the worker shutting down):
        # the trainer stops after its step and keeps its best checkpoint, and the job ends when it has.
        signal_tree(process.pid, kill=False)
        while process.poll() is None:
            await asyncio.sleep(0.5)
            if (folder / KILL_FILE).exists():
                signal_tree(process.pid, kill=True)
        raise
    snap = Job(folder).snapshot()
    if snap.status in ("finished", "stopped"):
        return snap.status
    why = (snap.error or "no reason given").splitlines()[0]
    raise QueueError(f"training {folder.name} {snap.status}: {why}")


async def recover_stalled(app, stalled_after_s: float = STALLED_AFTER_S) -> list[int]:
    """Fail every running job whose worker has gone silent, stopping its trainer if it still runs on this machine;
    the ids failed. Procrastinate notices silent workers but leaves their jobs to the application."""
    from procrastinate.jobs import Status

    failed = []
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, task_name=TASK,
                                                     seconds_since_heartbeat=stalled_after_s):
        run_dir = Path(str(job.task_kwargs.get("run_dir", "")))
        if _trained_here(run_dir):
            # This worker's own job, its heartbeat late only because the database was away for a while (a restart
            # mid-lesson): its trainer is this process's child and lives; the next heartbeat catches up.
            continue
        end_orphan(run_dir)
        await app.job_manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
        log.warning("job %s failed: %s", job.id, WORKER_LOST)
        failed.append(int(job.id))
    return failed


def _trained_here(run_dir: Path) -> bool:
    """Whether the run's trainer is a live child of this process."""
    import psutil

    from spamcore.runs.layout import JOB_FILE

    try:
        pid = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")).get("pid")
        return bool(pid) and psutil.Process(int(pid)).ppid() == os.getpid()
    except (OSError, ValueError, psutil.Error):
        return False


def end_orphan(run_dir: Path) -> None:
    """Stop a lost worker's trainer (when it still runs here) and write the run folder's final line, so that every
    screen says failed, never running."""
    from spamcore.runs.layout import FAILED, FINAL_STATUSES, JOB_FILE, LOCK_FILE
    from spamcore.runs.processes import is_locked, signal_tree
    from spamcore.runs.progress import ProgressReader, ProgressWriter

    if not (run_dir / JOB_FILE).is_file():
        return
    try:
        pid = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError):
        pid = None
    if pid and is_locked(run_dir / LOCK_FILE):
        signal_tree(int(pid), kill=True)
        deadline = time.monotonic() + 10
        while is_locked(run_dir / LOCK_FILE) and time.monotonic() < deadline:
            time.sleep(0.2)
    if ProgressReader(run_dir).read().status not in FINAL_STATUSES:
        writer = ProgressWriter(run_dir)
        writer.status(FAILED, WORKER_LOST)
        writer.close()


def run_worker(url: str, *, concurrency: int = 1, heartbeat_s: float = HEARTBEAT_S,
               stalled_after_s: float = STALLED_AFTER_S) -> None:
    """Run trainings from the queue until SIGINT or SIGTERM (then the running training is asked to stop and keeps
    its best checkpoint); fails stalled jobs at the start and every few seconds."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1; got {concurrency}")
    try:
        import procrastinate  # noqa: F401
    except ModuleNotFoundError:
        raise ConfigError(QUEUE_EXTRA) from None
    try:
        ensure_schema(url)
    except Exception as err:
        raise QueueError(f"cannot reach the training queue at {safe_url(url)}: {str(err).splitlines()[0]}") from None
    app = _worker_app(url)

    async def recover_forever() -> None:
        while True:
            try:
                await recover_stalled(app, stalled_after_s)
            except Exception as err:  # the database away for a while: try again, say so once per failure
                log.warning("could not look for stalled jobs: %s", str(err).splitlines()[0])
            await asyncio.sleep(RECOVER_EVERY_S)

    async def main() -> None:
        async with app.open_async():
            recovering = asyncio.create_task(recover_forever())
            try:
                await app.run_worker_async(queues=[QUEUE], concurrency=concurrency, name="spamcore-worker",
                                           update_heartbeat_interval=heartbeat_s,
                                           stalled_worker_timeout=stalled_after_s,
                                           shutdown_graceful_timeout=30.0)
            finally:
                recovering.cancel()

    asyncio.run(main())
