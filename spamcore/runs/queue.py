"""Training jobs queued in PostgreSQL, for a school's server: every training becomes a job that ``spamcore worker``
runs, one at a time by default, whichever app replica, class or script asked for it.

The queue is Procrastinate's (``procrastinate_jobs``: ``FOR UPDATE SKIP LOCKED`` fetching, LISTEN/NOTIFY wake-ups,
cancellation and abort requests, worker heartbeats). Chosen over PgQueuer because it runs on psycopg 3, the driver
the class store already uses, has a synchronous API for a Streamlit server beside its async worker, and keeps a
job's whole life in one row that a script can read; PgQueuer is async-only (asyncpg). What Procrastinate leaves to
its users, this module does: a job whose worker stopped sending heartbeats (killed, or its machine lost) is marked
failed by the next worker that looks (:func:`recover_stalled`, every few seconds), its orphaned trainer stopped.

What a job *is* stays where it was: a prepared run folder (:meth:`spamcore.runs.jobs.JobManager.start` writes its
``job.json``), trained by ``spamcore train`` as a process of the worker (:func:`spamcore.runs.jobs.launch_job`),
with the same progress file, lock and stop marker as on a laptop: so Train's live panel reads a queued job like any
other. The queue adds where it waits (:func:`position`) and who runs it. Everything here needs the ``postgres``
extra (psycopg) and procrastinate; the laptop's in-process runner needs neither.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from spamcore.errors import ConfigError, SpamcoreError

QUEUE_ENV = "SPAMCORE_QUEUE"
#: Procrastinate's queue and task names for trainings.
QUEUE = "training"
TASK = "spamcore.train"
#: A worker writes a heartbeat this often; one silent for STALLED_AFTER_S is taken for dead and its job failed.
HEARTBEAT_S = 5.0
STALLED_AFTER_S = 20.0
RECOVER_EVERY_S = 5.0
#: Written into the run folder by a second Stop: the worker kills the trainer instead of asking it to stop.
KILL_FILE = "kill-requested"
WORKER_LOST = ("its worker stopped sending heartbeats (killed, or its machine was lost): the training was ended and "
               "marked failed; start it again from Train")
QUEUE_EXTRA = 'the school queue needs PostgreSQL\'s driver and procrastinate: pip install "spamcore[school]"'

log = logging.getLogger("spamcore.queue")


class QueueError(SpamcoreError):
    """The queue's database cannot be reached, or refused what was asked."""


@dataclass(frozen=True)
class QueuedJob:
    """One training in the queue, as ``spamcore jobs list`` prints it."""

    id: int
    status: str  # procrastinate's: todo, doing, succeeded, failed, cancelled, aborted
    run_dir: str
    position: int | None  # 1 for the next to run; None once it has started

    def to_dict(self) -> dict:
        return asdict(self)


def queue_url() -> str | None:
    """``$SPAMCORE_QUEUE`` (a PostgreSQL URL), or None: the laptop's in-process runner."""
    return os.environ.get(QUEUE_ENV, "").strip() or None


def conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy-style or plain PostgreSQL URL."""
    for prefix in ("postgresql+psycopg://", "postgres+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix):]
    if not url.startswith("postgresql://"):
        raise ConfigError(f"the training queue needs a PostgreSQL URL (postgresql://user:password@host/db); "
                          f"got {url.split('://')[0]!r}")
    return url


def _safe(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(conninfo(url))
    return f"postgresql://{parts.get('user', '')}@{parts.get('host', '')}/{parts.get('dbname', '')}"


@functools.cache
def sync_app(url: str):
    """A Procrastinate app for deferring, listing and cancelling (synchronous: Streamlit and the CLI), opened and
    with the queue's tables created once per process and database."""
    try:
        import procrastinate
    except ModuleNotFoundError:
        raise ConfigError(QUEUE_EXTRA) from None
    # Short timeouts: a page asking where a job waits says "the database is away" within seconds, not after the
    # pool's default half minute.
    connector = procrastinate.SyncPsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4, timeout=5,
                                                   kwargs={"connect_timeout": 5})
    app = procrastinate.App(connector=connector)
    try:
        ensure_schema(url)  # first: it fails at once where the pool would retry for its whole timeout
        app.open()
    except Exception as err:
        raise QueueError(f"cannot reach the training queue at {_safe(url)}: {str(err).splitlines()[0]}") from None
    return app


def ensure_schema(url: str) -> None:
    """Create Procrastinate's tables unless they exist (under an advisory lock: two replicas starting together
    create them once)."""
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(72117)")  # any fixed number: spamcore's schema lock
        try:
            if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                from procrastinate.schema import SchemaManager

                conn.execute(SchemaManager.get_schema().encode())
        finally:
            conn.execute("SELECT pg_advisory_unlock(72117)")


def _call(what: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with a database failure turned into one sentence."""
    try:
        return fn(*args, **kwargs)
    except SpamcoreError:
        raise
    except Exception as err:  # psycopg's and procrastinate's errors alike: the database is away or refused
        raise QueueError(f"the training queue could not {what}: {str(err).splitlines()[0]}") from None


def submit(url: str, run_dir: str | os.PathLike[str]) -> int:
    """Queue the prepared run folder ``run_dir``; the job's id. One job per run folder (a second submit of the same
    folder is refused while the first waits)."""
    run_dir = str(Path(run_dir).resolve())
    app = sync_app(url)
    task = app.configure_task(name=TASK, queue=QUEUE, queueing_lock=run_dir)
    return int(_call("take the job", task.defer, run_dir=run_dir))


def jobs(url: str, *, active_only: bool = False) -> list[QueuedJob]:
    """Every training job in the queue, oldest first, with the waiting ones' places."""
    rows = _call("list its jobs", sync_app(url).job_manager.list_jobs, queue=QUEUE)
    rows = sorted(rows, key=lambda j: j.id)
    waiting = [j.id for j in rows if j.status == "todo"]
    found = [QueuedJob(j.id, j.status, str(j.task_kwargs.get("run_dir", "")),
                       waiting.index(j.id) + 1 if j.id in waiting else None) for j in rows]
    return [j for j in found if j.status in ("todo", "doing")] if active_only else found


def status(url: str, job_id: int) -> str:
    """The job's status in the queue (procrastinate's word)."""
    return _call("read the job", sync_app(url).job_manager.get_job_status, int(job_id)).value


def cancel(url: str, job_id: int) -> bool:
    """Cancel a waiting job, or ask the worker running it to stop it (it keeps the best checkpoint, as Stop does);
    False when the job has already ended."""
    return bool(_call("cancel the job", sync_app(url).job_manager.cancel_job_by_id, int(job_id), abort=True))


def workers_alive(url: str, within_s: float = STALLED_AFTER_S) -> int:
    """How many workers sent a heartbeat in the last ``within_s`` seconds."""
    import psycopg

    def count() -> int:
        with psycopg.connect(conninfo(url), connect_timeout=5) as conn:
            return int(conn.execute(
                "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)",
                (within_s,)).fetchone()[0])

    sync_app(url)
    return _call("count its workers", count)


# ------------------------------------------------------------------------------------------------------ worker
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
        raise QueueError(f"cannot reach the training queue at {_safe(url)}: {str(err).splitlines()[0]}") from None
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
