"""The trainer's side of a run folder: what ``spamcore train`` does around the training itself.

:func:`train_run` takes the run lock at the first event (so a dead trainer can never look alive), appends every
event to ``progress.jsonl``, turns SIGINT/SIGTERM into a stop after the current step (a second one aborts), and
writes the final status line — ``finished``, ``stopped`` or ``failed`` — however training ends. Only the main
process of a data-parallel launch writes; the others train in step.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from spamcore.config import TrainConfig
from spamcore.runs.layout import FAILED, FINISHED, LOCK_FILE, NOTHING_TRAINED, STOPPED
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
    from spamcore.distributed import is_main_process
    from spamcore.experiment import run_experiment
    from spamcore.train import StepProgress

    run_dir = Path(run_dir)
    stop = threading.Event()
    writer = ProgressWriter(run_dir) if is_main_process() else None
    lock: list[int] = []
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

    def on_signal(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if on_stop_request is not None:
            on_stop_request()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if writer is not None:
            writer.close()
    return info
