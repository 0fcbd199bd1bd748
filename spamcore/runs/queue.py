"""Training jobs queued in PostgreSQL, for a school's server: every training becomes a job that ``spamcore worker``
runs, one at a time by default, whichever app replica, class or script asked for it.

The queue is Procrastinate's (``procrastinate_jobs``: ``FOR UPDATE SKIP LOCKED`` fetching, LISTEN/NOTIFY wake-ups,
cancellation and abort requests, worker heartbeats). Chosen over PgQueuer because it runs on psycopg 3, the driver
the class store already uses, has a synchronous API for a Streamlit server beside its async worker, and keeps a
job's whole life in one row that a script can read; PgQueuer is async-only (asyncpg). What Procrastinate leaves to
its users — failing the job of a worker that stopped sending heartbeats (killed, or its machine lost), and ending its
orphaned trainer — :mod:`spamcore.runs.worker` does.

This module is the queue's client side — submit, list, cancel, where a job waits — used by the app and the CLI.
What a job *is* stays where it was: a prepared run folder (:meth:`spamcore.runs.jobs.JobManager.start` writes its
``job.json``), trained by ``spamcore train`` as a process of the worker (:func:`spamcore.runs.jobs.launch_job`),
with the same progress file, lock and stop marker as on a laptop: so Train's live panel reads a queued job like any
other. The queue adds where it waits (:func:`jobs`' places) and who runs it. Everything here needs the ``postgres``
extra (psycopg) and procrastinate; the laptop's in-process runner needs neither.
"""

from __future__ import annotations

import functools
import os
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


def safe_url(url: str) -> str:
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
        raise QueueError(f"cannot reach the training queue at {safe_url(url)}: {str(err).splitlines()[0]}") from None
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
