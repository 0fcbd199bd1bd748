"""Training jobs as processes, the app's side: the web server starts and watches them; it never trains itself.
The trainer's side (lock, progress, final status) is :mod:`spamcore.runs.trainer`; file names and status words
are :mod:`spamcore.runs.layout`.

A job is ``spamcore train`` running as its own process (the same command a user types), started with a
configurable launcher prefix (``$SPAMCORE_LAUNCHER``; default: this Python, ``-m spamcore``; e.g.
``accelerate launch --num_processes 8 -m spamcore`` for a multi-GPU node). Everything about a job lives in
its run folder, so any server process — a restarted one, or a second one sharing the runs folder — sees the same
jobs:

- ``job.json``: who started it, the command, the trainer's pid;
- ``progress.jsonl``: the trainer's progress (see :mod:`spamcore.runs.progress`);
- ``trainer.log``: the trainer's stdout and stderr (its last lines explain a crash);
- ``job.lock``: locked by the trainer for as long as it lives (an OS lock): a dead trainer cannot look alive;
- ``stop-requested``: written by Stop, so every screen can say "stopping" at once (and the trainer stops on it).

One training at a time per runs folder (``$SPAMCORE_MAX_JOBS``): a start counts the jobs still alive while it holds
``runs/.locks/launch.lock``, a file lock shared by every server on the same runs folder, and launches only when one
is free; a job counts as alive from the moment its ``job.json`` names its pid (its start grace) until its trainer's
lock is released, however it ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import BaseFileLock

from spamcore.errors import ConfigError, SpamcoreError
from spamcore.model.config import TrainConfig
from spamcore.runs.layout import (
    ACTIVE,
    FINAL_STATUSES,
    JOB_FILE,
    LOCK_FILE,
    LOG_FILE,
    NOTHING_TRAINED,
    STOP_FILE,
    STOPPED,
    UPLOAD_FILE,
)
from spamcore.runs.processes import file_lock, launch, launcher_prefix, process_alive, signal_tree
from spamcore.runs.progress import shared_reader


class JobBusyError(SpamcoreError):
    """A training was asked for while the allowed number of jobs is already running."""


@dataclass(frozen=True)
class JobSnapshot:
    """What a job looks like at one moment."""

    run_name: str
    run_dir: Path
    config: TrainConfig
    data_name: str
    status: str  # one of STATUSES
    stage: str  # "queued", "loading", "encoding", "training", "evaluating", "done"
    stage_done: int
    stage_total: int
    epoch: int  # current epoch, 1-based (0 before the first step)
    step: int  # optimiser steps done over the whole run
    total_steps: int  # 0 until the first step reports it
    elapsed: float  # seconds since the job started
    eta: float | None  # estimated seconds left for the training steps; None when unknown
    step_losses: tuple[float, ...]
    epoch_records: tuple  # spamcore.training.loop.EpochRecord of each finished epoch
    error: str | None  # why the job failed (or why a stop left nothing to keep)
    data_rows: int = 0  # messages in the data it was started on (before any row limit)
    steps_per_epoch: int = 1  # optimiser steps in one epoch (1 until the first step reports it)
    queue_position: int | None = None  # in a school's queue: 1 for the next to run; None when not waiting
    queue_wait: float | None = None  # about how many seconds until it starts (None when unknown)
    queue_note: str | None = None  # why the queue could not be read (its database away), in one sentence

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        """Share of the run done, 0..1."""
        if self.status == "finished":
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    def waiting(self) -> str:
        """Where a queued job stands. Example: ``2nd in line, about 4 minutes``."""
        if self.queue_note:
            return self.queue_note
        if self.queue_position is None:
            return "starting"
        n = self.queue_position
        place = "next in line" if n == 1 else f"{n}{_ordinal(n)} in line"
        if self.queue_wait is None:
            return place
        minutes = self.queue_wait / 60
        return place + (f", about {minutes:.0f} minutes" if minutes >= 1.5 else f", about {self.queue_wait:.0f} s")

    def describe(self) -> str:
        """One line about the job, e.g. ``run 'x' (frozen recipe, ...) is running: epoch 2/10, step 300/2440 ...``."""
        where = self.stage
        if self.stage == "encoding" and self.stage_total:
            where = f"encoding messages {self.stage_done}/{self.stage_total}"
        elif self.total_steps:
            where = (f"epoch {self.epoch}/{self.config.epochs}, step {self.step}/{self.total_steps} "
                     f"({self.fraction:.0%})")
        eta = f", about {self.eta:.0f} s left" if self.eta is not None and self.status == "running" else ""
        return (f"run {self.run_name!r} ({self.config.recipe} recipe, model {self.config.model}, "
                f"data {self.data_name}) is {self.status}: {where}, {self.elapsed:.0f} s elapsed{eta}")


def _ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.replace("\r", "\n").splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


class Job:
    """A training job, read from its run folder. Create jobs with :meth:`JobManager.start`."""

    def __init__(self, run_dir: Path, process: subprocess.Popen | None = None, queue: str | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.queue = queue  # the PostgreSQL queue it waits in (a school's server), or None
        self.run_name = self.run_dir.name
        self.process = process  # set in the server that launched it (reaps the child)
        self._meta = json.loads((self.run_dir / JOB_FILE).read_text(encoding="utf-8"))
        self.config = TrainConfig.from_dict(self._meta["config"])
        self.data_name = str(self._meta.get("data_name", "data"))
        self.data_rows = int(self._meta.get("data_rows", 0))
        self._reader = shared_reader(self.run_dir)

    @property
    def started(self) -> float:
        """Wall-clock time the job was launched."""
        return float(self._meta.get("started", 0.0))

    @property
    def pid(self) -> int | None:
        return self._meta.get("pid")

    def _trainer_alive(self) -> bool:
        return process_alive(self.run_dir / LOCK_FILE, self.pid, self.started, self.process)

    @property
    def queue_id(self) -> int | None:
        return self._meta.get("queue_id")

    def _waiting(self) -> tuple[str, str | None, dict]:
        """A queued job that no worker has launched yet: its status, error and queue fields."""
        from spamcore.runs import queue

        try:
            said = queue.status(self.queue, self.queue_id)
            ahead = queue.jobs(self.queue, active_only=True)
        except SpamcoreError as err:
            return "queued", None, {"queue_note": f"{err} — it waits until the database is back."}
        if said in ("cancelled", "aborted"):
            return STOPPED, "Cancelled before it started: nothing was trained.", {}
        if said == "failed":
            return "failed", "The worker could not start it; see trainer.log in its run folder.", {}
        if said != "todo":
            return "queued", None, {}  # a worker has just taken it: its trainer is starting
        mine = next((j for j in ahead if j.id == self.queue_id), None)
        wait = _wait_before(self.queue_id, ahead)
        return "queued", None, {"queue_position": mine.position if mine else None, "queue_wait": wait}

    def snapshot(self) -> JobSnapshot:
        progress = self._reader.read()
        if self.queue and self.pid is None and progress.status not in FINAL_STATUSES:
            status, error, fields = self._waiting()
            submitted = float(self._meta.get("submitted", self.started))
            return JobSnapshot(
                run_name=self.run_name, run_dir=self.run_dir, config=self.config, data_name=self.data_name,
                status=status, stage="queued" if status == "queued" else "done", stage_done=0, stage_total=0,
                epoch=0, step=0, total_steps=0, elapsed=max(0.0, time.time() - submitted), eta=None,
                step_losses=(), epoch_records=(), error=error, data_rows=self.data_rows, **fields)
        alive = self._trainer_alive()
        stop_asked = (self.run_dir / STOP_FILE).exists()
        error = progress.error
        if progress.status in FINAL_STATUSES:
            status = progress.status
        elif alive:
            status = "stopping" if stop_asked else ("running" if progress.started is not None else "queued")
        elif stop_asked and progress.first_step_at is None:
            # Stop pressed while the trainer was still starting (before it listens for signals, the stop ends it):
            # a stop with nothing trained, as when it comes during loading, not a failure.
            status, error = STOPPED, NOTHING_TRAINED
        else:  # exited without a final line: killed, crashed, or refused its settings
            status = "failed"
            tail = _tail(self.run_dir / LOG_FILE)
            error = ("the trainer process ended without finishing" + (" (killed)" if stop_asked else "")
                     + (f"; its last output:\n{tail}" if tail else ""))
        started = float(self._meta.get("started", progress.started or time.time()))
        end = time.time() if status in ACTIVE else (progress.last_at or time.time())
        return JobSnapshot(
            run_name=self.run_name, run_dir=self.run_dir, config=self.config, data_name=self.data_name,
            status=status, stage=progress.stage if status in ACTIVE or progress.status else "done",
            stage_done=progress.stage_done, stage_total=progress.stage_total, epoch=progress.epoch,
            step=progress.step, total_steps=progress.total_steps, elapsed=max(0.0, end - started),
            eta=_eta(progress, status), step_losses=tuple(progress.step_losses),
            epoch_records=tuple(_records(progress.epoch_records)), error=error, data_rows=self.data_rows,
            steps_per_epoch=max(1, progress.steps_per_epoch),
        )

    @property
    def active(self) -> bool:
        return self.snapshot().active

    def stop(self) -> None:
        """Ask the trainer to stop after its current step (it keeps the best checkpoint). A second call kills it.
        A queued job is taken out of the queue, or its worker told: the worker stops its trainer (it may run on
        another machine, so this process signals nothing)."""
        marker = self.run_dir / STOP_FILE
        second = marker.exists()
        marker.write_text(f"{time.time():.3f}\n")
        if self.queue:
            from spamcore.runs import queue

            if second:
                (self.run_dir / queue.KILL_FILE).write_text(f"{time.time():.3f}\n")
            if self.queue_id is not None:
                queue.cancel(self.queue, self.queue_id)
            return
        if not self._trainer_alive() or not self.pid:
            return
        # The launcher and, with accelerate or torchrun, its workers: signal the whole tree.
        signal_tree(self.pid, kill=second)

    def wait(self, timeout: float | None = None, poll: float = 0.2) -> bool:
        """Block until the job reaches a final status (or ``timeout`` seconds pass); True when it did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.active:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(poll)
        if self.process is not None:
            self.process.poll()
        return True


def _wait_before(job_id: int, active) -> float | None:
    """About how long until job ``job_id`` starts: what the running jobs have left and the estimates of those ahead
    of it (each from its own settings and this computer's pace, when measured before: the panel asking is polled every
    second and never measures); None when one of them cannot be told."""
    from spamcore.runs.estimate import estimate, known_rate

    total = 0.0
    for other in active:
        if other.id == job_id or (other.status == "todo" and other.id > job_id):
            continue
        try:
            job = Job(Path(other.run_dir))
            rate = known_rate(job.config)
            if rate is None:
                return None
            whole = estimate(job.config, job.data_rows, rate=rate).seconds
            if other.status == "todo":
                total += whole
                continue
            snap = job.snapshot()
            total += snap.eta if snap.status == "running" and snap.eta is not None else max(0.0, whole - snap.elapsed)
        except Exception:  # a folder gone or unreadable, or no pace known: say the place without a time
            return None
    return total


def _eta(progress, status: str) -> float | None:
    if status not in ACTIVE:
        return 0.0 if status == "finished" else None
    if progress.first_step_at is None or progress.step < 2 or not progress.total_steps:
        return None
    per_step = (time.time() - progress.first_step_at) / (progress.step - 1)
    return per_step * (progress.total_steps - progress.step)


def _records(rows: list[dict]) -> list:
    from spamcore.training.loop import EpochRecord

    return [EpochRecord(**row) for row in rows]


class JobManager:
    """Starts jobs as processes and finds them again from the runs folder alone."""

    def __init__(self, runs_root: str | os.PathLike[str], max_jobs: int = 1, queue: str | None = None) -> None:
        """``queue``: a PostgreSQL URL whose workers run the trainings (:mod:`spamcore.runs.queue`); None: this
        process launches them itself, ``max_jobs`` at a time."""
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise ConfigError(f"max_jobs must be a whole number of at least 1; got {max_jobs!r}")
        self.runs_root = Path(runs_root)
        self.max_jobs = max_jobs
        self.queue = queue
        self._launched: dict[str, subprocess.Popen] = {}

    def start(
        self, config: TrainConfig, data: pd.DataFrame, data_name: str, run_name: str | None = None,
        data_path: str | os.PathLike[str] | None = None, extra: Mapping[str, pd.DataFrame] | None = None,
    ) -> Job:
        """Launch ``spamcore train`` for ``config`` into ``runs_root/run_name``.

        ``data_path`` is a file the trainer can read (the built-in collection); without one, ``data`` is written
        into the run folder. ``extra`` maps file names to messages written into the run folder and added to
        ``config.extra_data`` (a class round's accepted messages: the trainer reads files, never the class store).
        Raises :class:`JobBusyError` when every slot is taken, and a :class:`SpamcoreError` for a bad run name, an
        existing run or unusable data — before anything starts.
        """
        from spamcore.data.messages import split_dataset, subsample
        from spamcore.runs.experiment import check_model
        from spamcore.runs.layout import new_run_name, run_path

        run_name = run_name or new_run_name(config.recipe)
        run_dir = run_path(self.runs_root, run_name)
        extra = dict(extra or {})
        if extra:
            files = [str((run_dir / name).resolve()) for name in extra]
            config = config.replace(extra_data="+".join([p for p in config.extra_data.split("+") if p] + files))
        split_dataset(subsample(data, config.max_rows))  # refuse unusable data and models now, not in the trainer
        check_model(config)
        if run_dir.exists() and any(run_dir.iterdir()):
            raise ConfigError(f"a run named {run_name!r} already exists; choose another name")
        if self.queue is not None:  # a school's server: the job waits in PostgreSQL for a worker
            from spamcore.runs import queue

            run_dir.mkdir(parents=True, exist_ok=True)
            data_path = self._write_inputs(run_dir, data, data_path, extra)
            meta = _job_meta(config, data_name, data, data_path, run_dir)
            (run_dir / JOB_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
            try:
                meta["queue_id"] = queue.submit(self.queue, run_dir)
            except SpamcoreError:
                import shutil

                shutil.rmtree(run_dir, ignore_errors=True)  # nothing was queued: leave no half job behind
                raise
            (run_dir / JOB_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
            return Job(run_dir, queue=self.queue)
        with self._launch_lock():
            self._refuse_when_busy()
            run_dir.mkdir(parents=True, exist_ok=True)
            data_path = self._write_inputs(run_dir, data, data_path, extra)
            (run_dir / JOB_FILE).write_text(json.dumps(_job_meta(config, data_name, data, data_path, run_dir),
                                                       indent=2), encoding="utf-8")
            process = launch_job(run_dir)
        self._launched[run_name] = process
        return Job(run_dir, process)

    @staticmethod
    def _write_inputs(run_dir: Path, data: pd.DataFrame, data_path, extra: Mapping[str, pd.DataFrame]) -> str:
        """Write what the trainer reads into the run folder; the data file's path."""
        from spamcore.data.messages import write_messages

        if data_path is None:
            data_path = write_messages(data, run_dir / UPLOAD_FILE)
        for name, messages in extra.items():
            write_messages(messages, run_dir / name)
        return str(data_path)

    def _launch_lock(self) -> BaseFileLock:
        """Held while a start counts the live jobs and launches: two servers (or two clicks) cannot both take the
        last free place."""
        locks = self.runs_root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        return file_lock(locks / "launch.lock", timeout=30)

    def _refuse_when_busy(self) -> None:
        active = self.active()
        if len(active) < self.max_jobs:
            return
        busy = "; ".join(job.snapshot().describe() for job in active)
        raise JobBusyError(
            f"Training is busy — {busy}. Only {self.max_jobs} training(s) can run at a time on this runs folder: "
            "wait for it to finish, or stop it on the Train page."
        )

    def get(self, run_name: str | None) -> Job | None:
        if not run_name:
            return None
        run_dir = self.runs_root / run_name
        if not (run_dir / JOB_FILE).is_file():
            return None
        try:
            return Job(run_dir, self._launched.get(run_name), queue=self.queue)
        except (OSError, ValueError, KeyError, SpamcoreError):
            return None

    def jobs(self) -> list[Job]:
        """Every job in the runs folder, oldest first."""
        if not self.runs_root.is_dir():
            return []
        jobs = [self.get(p.parent.name) for p in self.runs_root.glob(f"*/{JOB_FILE}")]
        return sorted((j for j in jobs if j is not None), key=lambda j: j.started)

    def active(self) -> list[Job]:
        """Jobs queued, running or stopping, oldest first."""
        return [job for job in self.jobs() if job.active]


def _job_meta(config: TrainConfig, data_name: str, data: pd.DataFrame, data_path, run_dir: Path) -> dict:
    command = [*launcher_prefix(), "train", "--config", str(run_dir / JOB_FILE), "--data", str(data_path),
               "--out", str(run_dir), "--data-name", data_name]
    return {"config": config.to_dict(), "data_name": data_name, "data_rows": len(data), "command": command,
            "started": time.time(), "submitted": time.time(), "pid": None}


def launch_job(run_dir: str | os.PathLike[str]) -> subprocess.Popen:
    """Start the trainer of the prepared run folder ``run_dir`` (its ``job.json``), record its pid and the time it
    started; the process. The app's runner calls it at once, a queue's worker when the job's turn comes."""
    run_dir = Path(run_dir)
    meta = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8"))
    meta["started"] = time.time()
    (run_dir / JOB_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    process = launch(meta["command"], run_dir / LOG_FILE)
    meta["pid"] = process.pid  # from here on the job counts as alive (start grace, then its lock)
    (run_dir / JOB_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return process


def max_jobs_from_env() -> int:
    """``$SPAMCORE_MAX_JOBS`` (default 1)."""
    raw = os.environ.get("SPAMCORE_MAX_JOBS", "1").strip()
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"SPAMCORE_MAX_JOBS must be a whole number of at least 1; got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"SPAMCORE_MAX_JOBS must be at least 1; got {value}")
    return value


_MANAGERS: dict[Path, JobManager] = {}


def get_manager(runs_root: str | os.PathLike[str] | None = None) -> JobManager:
    """The job manager of ``runs_root`` (default: ``$SPAMCORE_RUNS`` or ``runs/``), one per folder per process; its
    trainings queued in ``$SPAMCORE_QUEUE`` when that names a PostgreSQL database."""
    from spamcore.runs.layout import default_runs_root

    root = Path(runs_root) if runs_root is not None else default_runs_root()
    key = root.resolve()
    if key not in _MANAGERS:
        from spamcore.runs.queue import queue_url

        _MANAGERS[key] = JobManager(root, max_jobs_from_env(), queue=queue_url())
    return _MANAGERS[key]
