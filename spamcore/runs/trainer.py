"""The trainer's side of a run folder: what ``spamcore train`` does around the training itself.

:func:`train_run` takes the run lock at the first event (so a dead trainer can never look alive), appends every
event to ``progress.jsonl``, turns SIGINT/SIGTERM or the stop marker that Stop writes into a stop after the current
step (a second signal aborts), and writes the final status line — ``finished``, ``stopped`` or ``failed`` — however
training ends. Only the main process of a data-parallel launch writes; the others train in step.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from spamcore.model.config import TrainConfig
from spamcore.runs.layout import FAILED, FINISHED, LOCK_FILE, NOTHING_TRAINED, STOP_FILE, STOPPED
from spamcore.runs.processes import hold_lock
from spamcore.runs.progress import ProgressWriter

#: A second stop ends the trainer mid-step; what it wrote before stays.
ABORTED = "Stopped at once by a second stop: the best finished epoch's checkpoint, if there is one, stays."


def train_run(
    config: TrainConfig, data: pd.DataFrame, run_dir: str | os.PathLike[str], *, data_name: str,
    on_event: Callable[[Any], None] | None = None, on_stop_request: Callable[[], None] | None = None,
    report_to: str | None = None,
):
    """Train ``config`` on ``data`` into ``run_dir`` as a job's trainer; the saved :class:`RunInfo` (None in a
    process other than the main one). ``on_event`` sees every progress event too (the CLI's bars);
    ``on_stop_request`` is called when the first stop signal arrives."""
    from spamcore.runs.experiment import run_experiment
    from spamcore.training.distributed import is_main_process
    from spamcore.training.loop import StepProgress

    run_dir = Path(run_dir)
    stop = threading.Event()
    writer = ProgressWriter(run_dir) if is_main_process() else None
    lock: list = []
    stepped: list[bool] = []  # set at the first optimiser step

    def listen(event: Any) -> None:
        if not stepped and isinstance(event, StepProgress):
            stepped.append(True)
        if writer is not None:
            if not lock:  # the folder exists from the first event on (a run refused earlier leaves none)
                lock.append(hold_lock(run_dir / LOCK_FILE))  # held until this process exits
            writer(event)
        if on_event is not None:
            on_event(event)

    signalled: list[int] = []

    def on_signal(signum, frame) -> None:
        # A second *signal* aborts (Ctrl-C twice). Not a signal after the stop marker: Stop writes the marker, then
        # signals, and the watcher thread may see the marker before this handler runs (it waits for the main thread
        # to leave a long torch call), which must not turn one Stop into an abort that keeps nothing.
        if signalled:
            raise KeyboardInterrupt
        signalled.append(signum)
        stop.set()
        if on_stop_request is not None:
            on_stop_request()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    watcher = _StopFileWatcher(run_dir / STOP_FILE, stop, on_stop_request)
    try:
        info = run_experiment(config, data, run_dir, data_name=data_name, callback=listen, stop=stop,
                              report_to=report_to)
    except BaseException as err:
        # A stop before the first step (while the model loads or the frozen recipe encodes) or a second stop that
        # aborts mid-training: stops, not crashes; the status says what was left.
        stopped = stop.is_set() and isinstance(err, (RuntimeError, KeyboardInterrupt))
        said = (ABORTED if stepped else NOTHING_TRAINED) if stopped else str(err)[:500]
        if writer is not None and run_dir.is_dir():
            writer.status(STOPPED if stopped else FAILED, said)
        if stopped and not stepped:
            raise KeyboardInterrupt(NOTHING_TRAINED) from None  # the CLI says what it left behind
        raise
    else:
        if writer is not None:
            writer.status(STOPPED if info.status == STOPPED else FINISHED)
    finally:
        watcher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if writer is not None:
            writer.close()
    return info


class _StopFileWatcher:
    """Stops training when the run folder's stop marker appears: Stop writes it on every platform, and on Windows,
    where no SIGTERM reaches a process, it is how a stop arrives. Polls once a second (a ``stat``; the trainer is
    busy anyway) and only asks for the stop after the current step, like a first signal."""

    def __init__(self, marker: Path, stop: threading.Event, on_stop_request: Callable[[], None] | None) -> None:
        self._marker, self._stop, self._on_stop = marker, stop, on_stop_request
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="spamcore-stop-file", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._closed.wait(1.0):
            if self._stop.is_set():
                return
            if self._marker.exists():
                self._stop.set()
                if self._on_stop is not None:
                    self._on_stop()
                return

    def close(self) -> None:
        self._closed.set()
