"""A training's progress as an append-only JSON-lines file in its run folder, read by anyone.

The trainer (``spamcore train``, whoever started it) appends one line per event and flushes it: stages
(loading, encoding), every optimiser step, every epoch record, and a final status. A reader — the app, in
whatever server process — folds the lines into a :class:`ProgressState`. Reading is tolerant: a half-written
last line (the trainer was mid-write, or was killed) is skipped, never an error.

Example lines::

    {"kind": "stage", "stage": "loading", "done": 0, "total": 1, "elapsed": 0.01, "t": 1764163200.1}
    {"kind": "step", "epoch": 1, "step": 1, ..., "loss": 0.69, "t": ...}
    {"kind": "status", "status": "finished", "error": null, "t": ...}
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from spamcore.runs.layout import PROGRESS_FILE


class ProgressWriter:
    """A training callback that appends each progress record to ``run_dir/progress.jsonl``.

    The file is opened on the first event (the run folder may not exist before training starts).
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = Path(run_dir) / PROGRESS_FILE
        self._fh: IO[str] | None = None

    def __call__(self, event: Any) -> None:
        from spamcore.training.loop import EpochRecord, StageProgress, StepProgress

        kind = {StageProgress: "stage", StepProgress: "step", EpochRecord: "epoch"}.get(type(event))
        if kind is not None:
            self.write({"kind": kind, **asdict(event)})

    def status(self, status: str, error: str | None = None, **extra: Any) -> None:
        """The last line: how the training ended (``finished``, ``stopped`` or ``failed``)."""
        self.write({"kind": "status", "status": status, "error": error, **extra})

    def write(self, record: dict[str, Any]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open for the whole run)
        self._fh.write(json.dumps({**record, "t": round(time.time(), 3)}, separators=(",", ":")) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass
class ProgressState:
    """What the progress lines say so far."""

    stage: str = "queued"  # "queued", "loading", "encoding", "training", "evaluating", "done"
    stage_done: int = 0
    stage_total: int = 0
    epoch: int = 0
    step: int = 0
    total_steps: int = 0
    steps_per_epoch: int = 0
    started: float | None = None  # wall-clock time of the first line
    first_step_at: float | None = None
    last_at: float | None = None  # wall-clock time of the last line
    step_losses: list[float] = field(default_factory=list)
    epoch_records: list[dict] = field(default_factory=list)
    status: str | None = None  # a final status, once written
    error: str | None = None

    def apply(self, record: dict[str, Any]) -> None:
        kind, t = record.get("kind"), record.get("t")
        if self.started is None:
            self.started = t
        self.last_at = t
        if kind == "stage":
            self.stage, self.stage_done, self.stage_total = record["stage"], record["done"], record["total"]
        elif kind == "step":
            if self.first_step_at is None:
                self.first_step_at = t
            self.stage = "training"
            self.epoch, self.step, self.total_steps = record["epoch"], record["global_step"], record["total_steps"]
            self.steps_per_epoch = record["steps_per_epoch"]
            self.step_losses.append(record["loss"])
        elif kind == "epoch":
            self.epoch_records.append({k: v for k, v in record.items() if k not in ("kind", "t")})
            self.stage = "evaluating" if record.get("partial") else "training"
        elif kind == "status":
            self.status, self.error, self.stage = record["status"], record.get("error"), "done"


class ProgressReader:
    """Reads a progress file incrementally: each :meth:`read` parses only the lines added since the last one.

    Thread-safe; :func:`shared_reader` gives one reader per file per process, so that many sessions polling the
    same job parse each line once.
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = Path(run_dir) / PROGRESS_FILE
        self.state = ProgressState()
        self._offset = 0
        self._lock = threading.Lock()

    def read(self) -> ProgressState:
        """The state so far, as a copy (safe to use while other threads read on)."""
        with self._lock:
            try:
                with open(self.path, "rb") as fh:
                    if os.fstat(fh.fileno()).st_size < self._offset:  # a new file under the same name
                        self.state, self._offset = ProgressState(), 0
                    fh.seek(self._offset)
                    chunk = fh.read()
            except FileNotFoundError:
                return replace(self.state, step_losses=list(self.state.step_losses),
                               epoch_records=list(self.state.epoch_records))
            end = chunk.rfind(b"\n") + 1  # a last line without its newline is still being written
            for line in chunk[:end].splitlines():
                try:
                    record = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue  # a torn line from a killed trainer: skip it
                if isinstance(record, dict):
                    try:
                        self.state.apply(record)
                    except (KeyError, TypeError):
                        continue
            self._offset += end
            return replace(self.state, step_losses=list(self.state.step_losses),
                           epoch_records=list(self.state.epoch_records))


_READERS: dict[Path, ProgressReader] = {}
_READERS_LOCK = threading.Lock()


def shared_reader(run_dir: str | os.PathLike[str]) -> ProgressReader:
    """This process's reader of ``run_dir``'s progress file (created on first use)."""
    key = Path(run_dir).resolve()
    with _READERS_LOCK:
        if key not in _READERS:
            _READERS[key] = ProgressReader(key)
        return _READERS[key]
