"""A run folder's layout and the words of its life: the names of its files, the statuses it goes through, and
where runs live.

A run folder holds the run (written by :mod:`spamcore.runs.store`) and, while it trains as a job, the job's files
(written by :mod:`spamcore.runs.trainer` and :mod:`spamcore.runs.jobs`)::

    run.json               status, config, data and split info, timings
    history.json           per-epoch records and per-step training losses
    metrics.json           test-set report
    test_predictions.csv   test messages with their label and spam probability
    tokenizer files, and the weights as the run's recipe stores them (spamcore.model.recipes)

    job.json               the job's settings, command and the trainer's pid
    progress.jsonl         the trainer's progress, one JSON line per event
    trainer.log            the trainer's stdout and stderr
    job.lock               flock'd by the trainer for its whole life
    stop-requested         written by Stop
    training-data.tsv      messages the app hands the trainer (an upload)
    class-round-N.tsv      a class round's accepted messages the Class board hands a retrain (extra data)

One word names each state everywhere, run and job alike: ``finished``, ``stopped``, ``failed`` (final), and
``queued``, ``running``, ``stopping`` (a job's active states). Runs written before this word was chosen say
``complete``; :func:`normalise_status` reads that as ``finished``.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from spamcore.errors import ConfigError
from spamcore.model.recipes import REGISTRY
from spamcore.model.saved import RUN_FILE  # noqa: F401 (a saved model's file: the model layer reads it)

HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "test_predictions.csv"
HEAD_FILE = REGISTRY["frozen"].weights_file  # the weights file of each recipe, as its registry entry names it
MODEL_FILE = REGISTRY["finetune"].weights_file
FORMAT_VERSION = 1
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
PROGRESS_FILE = "progress.jsonl"
#: The files a job keeps in its run folder besides the trainer's progress (see spamcore.jobs).
JOB_FILE = "job.json"  # settings, command, the trainer's pid
LOG_FILE = "trainer.log"  # the trainer's stdout and stderr
LOCK_FILE = "job.lock"  # flock'd by the trainer for its whole life
STOP_FILE = "stop-requested"  # written by Stop
UPLOAD_FILE = "training-data.tsv"  # messages the app hands the trainer (an upload)
#: A run folder holding only these still counts as new (run_experiment accepts it).
JOB_FILES: frozenset[str] = frozenset({PROGRESS_FILE, JOB_FILE, LOG_FILE, LOCK_FILE, STOP_FILE, UPLOAD_FILE})
#: A class round's accepted messages, handed to a retrain in its run folder (spamcore.classroom.rounds names it).
CLASS_FILE = re.compile(r"^class-round-\d+\.tsv$")


def is_job_file(name: str) -> bool:
    """Whether a file of this name is one a job puts into its run folder before the trainer starts."""
    return name in JOB_FILES or bool(CLASS_FILE.match(name))



FINISHED, STOPPED, FAILED = "finished", "stopped", "failed"
#: Final statuses: a trainer writes one as its last progress line, and the run's run.json says it.
FINAL_STATUSES: tuple[str, ...] = (FINISHED, STOPPED, FAILED)
#: Job statuses. ``queued``, ``running`` and ``stopping`` are active; the final ones follow.
ACTIVE: tuple[str, ...] = ("queued", "running", "stopping")
STATUSES: tuple[str, ...] = (*ACTIVE, *FINAL_STATUSES)
#: Runs that can be used: trained to the end, or stopped with their best checkpoint kept and scored.
USABLE_STATUSES: tuple[str, ...] = (FINISHED, STOPPED)
#: Why a run stopped before its first training step has no weights: said in its status, on Train and by the CLI.
NOTHING_TRAINED = "Stopped before the first training step: nothing was trained, so no weights were kept."
_OLD_WORDS = {"complete": FINISHED}


def normalise_status(status: str) -> str:
    """Today's word for a status written by any version. Example: ``normalise_status("complete") == "finished"``."""
    return _OLD_WORDS.get(status, status)


def default_runs_root() -> Path:
    """``$SPAMCORE_RUNS``, else ``runs/`` in the working directory."""
    return Path(os.environ.get("SPAMCORE_RUNS", "runs")).expanduser()


def run_path(root: str | os.PathLike[str], name: str) -> Path:
    """The folder of run ``name`` under ``root``; refuses names that could escape it.

    Example: ``run_path("runs", "../etc")`` raises ConfigError.
    """
    if not _RUN_NAME.match(name or "") or ".." in name:
        raise ConfigError(
            f"run name {name!r} is not allowed: use letters, digits, '.', '_' or '-' (at most 80), "
            "starting with a letter or digit"
        )
    return Path(root) / name


def check_new_run_dir(run_dir: str | os.PathLike[str]) -> Path:
    """``run_dir`` as a Path if a new run can be written there, else :class:`ConfigError` saying why — before any
    work starts. A folder holding only a job's own files (the app creates those first) counts as new.

    Example: ``check_new_run_dir("README.md")`` raises ConfigError ("is a file").
    """
    path = Path(run_dir).expanduser()
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == path else f"lies under {str(parent)!r}, which is a file"
            raise ConfigError(f"run folder {str(path)!r} {where}; choose a folder name for --out")
    if path.is_dir() and any(not is_job_file(p.name) for p in path.iterdir()):
        raise ConfigError(f"run folder {str(path)!r} already exists and is not empty; choose another name")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"run folder {str(path)!r} cannot be created: {str(existing)!r} is not writable")
    return path


def new_run_name(recipe: str) -> str:
    """A unique, sortable name such as ``20261126-101500-frozen``."""
    return f"{datetime.now():%Y%m%d-%H%M%S-%f}"[:-3] + f"-{recipe}"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
