"""Background training jobs, shared by every session of one server process.

A front end (the Streamlit app) must not train inside a page: a rerun, a reload or a closed tab would lose the
run. Instead it asks the process-wide :class:`JobManager` (``get_manager()``) to start a :class:`Job`, which runs
:func:`spamcore.experiment.run_experiment` in a daemon thread. The thread makes no UI calls; it only updates the
job's lock-protected state from the training callback. Pages poll ``job.snapshot()`` — an immutable
:class:`JobSnapshot` — and redraw. Jobs are keyed by run name, so a reloaded page or another session finds the
same job again.

By default one job runs at a time per process (``$SPAMCORE_MAX_JOBS`` changes it): a second start is refused
with :class:`JobBusyError`, whose message says which run is busy, with what recipe, and how far it is.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spamcore.config import TrainConfig
from spamcore.errors import ConfigError, SpamcoreError

log = logging.getLogger(__name__)

#: Job statuses. ``queued`` and ``running`` are active; the other three are final.
STATUSES: tuple[str, ...] = ("queued", "running", "finished", "stopped", "failed")
ACTIVE: tuple[str, ...] = ("queued", "running")
#: Finished jobs kept in memory (their runs stay on disk regardless).
KEEP_FINISHED = 20


class JobBusyError(SpamcoreError):
    """A training was asked for while the allowed number of jobs is already running."""


@dataclass(frozen=True)
class JobSnapshot:
    """What a job looks like at one moment; safe to read from any thread."""

    run_name: str
    run_dir: Path
    config: TrainConfig
    data_name: str
    status: str  # one of STATUSES
    stage: str  # "queued", "loading", "encoding", "training", "evaluating", "done"
    stage_done: int  # progress inside the stage (e.g. messages encoded)
    stage_total: int
    epoch: int  # current epoch, 1-based (0 before the first step)
    step: int  # optimiser steps done over the whole run
    total_steps: int  # 0 until the first step reports it
    elapsed: float  # seconds since the job started
    eta: float | None  # estimated seconds left for the training steps; None when unknown
    step_losses: tuple[float, ...]  # training loss of every step so far
    epoch_records: tuple  # spamcore.train.EpochRecord of each finished epoch
    error: str | None  # why the job failed (or why a stop left nothing to keep)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        """Share of the run done, 0..1 (steps when training, the stage's progress before)."""
        if self.status == "finished":
            return 1.0
        if self.total_steps:
            return min(1.0, self.step / self.total_steps)
        return 0.0

    def describe(self) -> str:
        """One line about the job, e.g. ``run 'x' (frozen, bundled:minilm-l6): epoch 2/10, step 300/2440, 12%``."""
        where = f"{self.stage}"
        if self.stage == "encoding" and self.stage_total:
            where = f"encoding messages {self.stage_done}/{self.stage_total}"
        elif self.total_steps:
            where = (f"epoch {self.epoch}/{self.config.epochs}, step {self.step}/{self.total_steps} "
                     f"({self.fraction:.0%})")
        eta = f", about {self.eta:.0f} s left" if self.eta is not None and self.active else ""
        return (f"run {self.run_name!r} ({self.config.recipe} recipe, model {self.config.model}, "
                f"data {self.data_name}) is {self.status}: {where}, {self.elapsed:.0f} s elapsed{eta}")


class Job:
    """One training run in a background thread. Create jobs with :meth:`JobManager.start`."""

    def __init__(self, run_name: str, run_dir: Path, config: TrainConfig, data_name: str) -> None:
        self.run_name, self.run_dir, self.config, self.data_name = run_name, run_dir, config, data_name
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._first_step_at: float | None = None
        self._finished_at: float | None = None
        self._status = "queued"
        self._stage, self._stage_done, self._stage_total = "queued", 0, 0
        self._epoch = self._step = self._total_steps = 0
        self._losses: list[float] = []
        self._epochs: list = []
        self._error: str | None = None
        self.info = None  # the RunInfo of the finished run
        self.data_rows = 0  # messages in the data it was started on (before any row limit)

    # ------------------------------------------------------------------------------------------ reading

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            end = self._finished_at if self._finished_at is not None else time.monotonic()
            return JobSnapshot(
                run_name=self.run_name, run_dir=self.run_dir, config=self.config, data_name=self.data_name,
                status=self._status, stage=self._stage, stage_done=self._stage_done,
                stage_total=self._stage_total, epoch=self._epoch, step=self._step,
                total_steps=self._total_steps, elapsed=end - self._started, eta=self._eta(end),
                step_losses=tuple(self._losses), epoch_records=tuple(self._epochs), error=self._error,
            )

    def _eta(self, now: float) -> float | None:
        """Seconds left at the mean step rate so far (epoch validation is not counted)."""
        if self._first_step_at is None or self._step < 2 or not self._total_steps:
            return None
        if self._status not in ACTIVE:
            return 0.0
        per_step = (now - self._first_step_at) / (self._step - 1)
        return per_step * (self._total_steps - self._step)

    @property
    def active(self) -> bool:
        with self._lock:
            return self._status in ACTIVE

    # ------------------------------------------------------------------------------------------ control

    def stop(self) -> None:
        """Ask the training to end after the current step; the best checkpoint so far is kept."""
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job's thread ends (or ``timeout`` seconds pass); True when it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.active

    # ------------------------------------------------------------------------------- the worker thread

    def _listen(self, event) -> None:
        """Training callback: turn progress records into the job's state (no UI calls here)."""
        from spamcore.train import EpochRecord, StageProgress, StepProgress

        with self._lock:
            if isinstance(event, StepProgress):
                if self._first_step_at is None:
                    self._first_step_at = time.monotonic()
                self._stage = "training"
                self._epoch, self._step, self._total_steps = event.epoch, event.global_step, event.total_steps
                self._losses.append(event.loss)
            elif isinstance(event, EpochRecord):
                self._epochs.append(event)
                last = event.partial or event.epoch >= self.config.epochs
                self._stage = "evaluating" if last else "training"
            elif isinstance(event, StageProgress):
                self._stage, self._stage_done, self._stage_total = event.stage, event.done, event.total

    def _run(self, data: pd.DataFrame) -> None:
        from spamcore.experiment import run_experiment

        with self._lock:
            self._status = "running"
            self._stage = "loading"
        try:
            info = run_experiment(self.config, data, self.run_dir, data_name=self.data_name,
                                  callback=self._listen, stop=self.stop_event)
        except SpamcoreError as err:
            self._finish("failed", str(err))
        except Exception as err:  # any other failure is reported on the job, and logged with its traceback
            if self.stop_event.is_set():
                self._finish("stopped", f"stopped before anything was trained ({err})")
            else:
                log.exception("training job %s failed", self.run_name)
                self._finish("failed", f"{type(err).__name__}: {err}")
        else:
            self.info = info
            self._finish("stopped" if info.status == "stopped" else "finished", None)

    def _finish(self, status: str, error: str | None) -> None:
        with self._lock:
            self._status, self._error = status, error
            self._stage = "done"
            self._finished_at = time.monotonic()


class JobManager:
    """All jobs of this process, keyed by run name; at most ``max_jobs`` active at once."""

    def __init__(self, max_jobs: int = 1) -> None:
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise ConfigError(f"max_jobs must be a whole number of at least 1; got {max_jobs!r}")
        self.max_jobs = max_jobs
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def start(
        self, config: TrainConfig, data: pd.DataFrame, data_name: str, runs_root: str | os.PathLike[str],
        run_name: str | None = None,
    ) -> Job:
        """Start training ``config`` on ``data`` into ``runs_root/run_name`` in a background thread.

        Raises :class:`JobBusyError` when ``max_jobs`` jobs are active, and a :class:`SpamcoreError` for a bad
        run name, an existing run folder, or data that cannot be split — before any thread starts.
        """
        from spamcore.data import split_dataset, subsample
        from spamcore.runs import new_run_name, run_path

        run_name = run_name or new_run_name(config.recipe)
        run_dir = run_path(runs_root, run_name)
        split_dataset(subsample(data, config.max_rows))  # refuse unusable data now, not in the thread
        with self._lock:
            active = [job for job in self._jobs.values() if job.active]
            if len(active) >= self.max_jobs:
                busy = "; ".join(job.snapshot().describe() for job in active)
                raise JobBusyError(
                    f"Training is busy — {busy}. Only {self.max_jobs} training(s) can run at a time on this "
                    "server: wait for it to finish, or stop it on the Train page."
                )
            if run_name in self._jobs or (run_dir.exists() and any(run_dir.iterdir())):
                raise ConfigError(f"a run named {run_name!r} already exists; choose another name")
            job = Job(run_name, run_dir, config, data_name)
            job.data_rows = len(data)
            self._jobs[run_name] = job
            self._forget_old()
            job._thread = threading.Thread(target=job._run, args=(data,), name=f"spamcore-job-{run_name}",
                                           daemon=True)
            job._thread.start()
        return job

    def get(self, run_name: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(run_name) if run_name else None

    def active(self) -> list[Job]:
        """Jobs queued or running, oldest first."""
        with self._lock:
            return [job for job in self._jobs.values() if job.active]

    def jobs(self) -> list[Job]:
        """Every job this process still remembers, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def _forget_old(self) -> None:
        finished = [name for name, job in self._jobs.items() if not job.active]
        for name in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[name]


_MANAGER: JobManager | None = None
_MANAGER_LOCK = threading.Lock()


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


def get_manager() -> JobManager:
    """The process-wide job manager (created on first use, with ``max_jobs`` from the environment)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = JobManager(max_jobs_from_env())
        return _MANAGER
