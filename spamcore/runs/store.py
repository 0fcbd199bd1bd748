"""Runs on disk: save a trained classifier with everything needed to reuse and judge it; load it back safely.

What each file of a run folder holds is in :mod:`spamcore.runs.layout`. Weights are only ever read with
``safetensors``; nothing is unpickled. Every file is written to a temporary name and renamed into place, so a crash
leaves either the previous file or the new one, never half of one.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spamcore.errors import RunError
from spamcore.evaluation.metrics import DEFAULT_THRESHOLD, check_threshold

# The runs layer asks the model layer to load; load_classifier is named here too for the callers that read runs.
from spamcore.model.saved import SavedModel, load_classifier, read_json, read_meta  # noqa: F401
from spamcore.runs.layout import (
    HISTORY_FILE,
    METRICS_FILE,
    RUN_FILE,
    USABLE_STATUSES,
    default_runs_root,
    normalise_status,
    run_path,
)

if TYPE_CHECKING:  # torch and the model code load only when weights do: listing runs stays fast (app start)

    from spamcore.model.classifier import SpamClassifier

# --------------------------------------------------------------------------------------------- writing


def write_json(path: Path, payload: Any) -> None:
    atomic_write(path, json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8"))


def atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; run files are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_classifier(classifier: SpamClassifier, run_dir: Path) -> None:
    """Write the classifier's weights (as its recipe stores them) and tokenizer into ``run_dir``, each atomically."""
    from spamcore.model.recipes import recipe

    run_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=run_dir, prefix=".staging-"))
    try:
        classifier.tokenizer.save_pretrained(staging)
        recipe(classifier.config.recipe).save(classifier.module, staging)
        for file in staging.iterdir():
            file.chmod(0o644)
            os.replace(file, run_dir / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class RunInfo(SavedModel):
    """What ``run.json`` says about a run (spamcore.model.saved), its life (status, history) and its test metrics
    when it has them."""

    metrics: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``stopped`` or ``failed`` (runs saved before the word was chosen say
        ``complete``, read as ``finished``)."""
        return normalise_status(str(self.meta.get("status", "unknown")))

    @property
    def usable(self) -> bool:
        """Finished or stopped, with weights and test metrics: Evaluate and Classify can use it."""
        return self.status in USABLE_STATUSES and bool(self.metrics) and self.has_weights

    def history(self) -> dict[str, Any]:
        return read_json(self.path / HISTORY_FILE, missing_ok=True) or {"epochs": [], "steps": []}


def read_run(run_dir: str | os.PathLike[str]) -> RunInfo:
    """Read and check a run's metadata (no weights); ``bundled:spamcore-ready`` reads the ready model."""
    path, meta = read_meta(run_dir)
    metrics = read_json(path / METRICS_FILE, missing_ok=True)
    return RunInfo(path, meta, metrics)


def list_runs(root: str | os.PathLike[str] | None = None) -> list[RunInfo]:
    """Readable runs under ``root``, newest first (unreadable folders are skipped)."""
    root = Path(root) if root is not None else default_runs_root()
    if not root.is_dir():
        return []
    runs = []
    for child in root.iterdir():
        if child.is_dir() and not child.name.startswith("."):
            try:
                runs.append(read_run(child))
            except RunError:
                continue
    return sorted(runs, key=lambda r: str(r.meta.get("created", "")), reverse=True)


def ready_run() -> RunInfo | None:
    """The ready model shipped in the package (spamcore.model.ready) as a run, or None when this install has none."""
    from spamcore.model.ready import READY_MODEL, shipped_folder

    if not (shipped_folder() / RUN_FILE).is_file():
        return None
    try:
        return read_run(READY_MODEL)
    except RunError:
        return None


# ------------------------------------------------------------------------------- choosing, listing, sharing


def set_threshold(run_dir: str | os.PathLike[str], threshold: float) -> RunInfo:
    """Store the spam threshold a run should classify with (``run.json``, atomically); the updated run.

    :func:`load_classifier` applies it. Refused while the run is training: training rewrites ``run.json``.
    """
    value = check_threshold(threshold)
    info = read_run(run_dir)
    if info.is_ready_model:
        raise RunError("the ready model's threshold is part of the package; train a run on Train to choose your own")
    if info.status == "running":
        raise RunError(f"run {info.name!r} is still training; choose its threshold once it has finished")
    write_json(info.path / RUN_FILE, {**info.meta, "threshold": value})
    return read_run(info.path)


def run_table(runs: Sequence[RunInfo]) -> Any:
    """One row per run for a history table: when, recipe, model, epochs, time, test and baseline scores.

    Scores are on each run's own test split at threshold 0.5; missing values (a stopped run) are NaN.
    """
    import pandas as pd

    rows = []
    for info in runs:
        meta, metrics = info.meta, info.metrics or {}
        spam = metrics.get("classes", {}).get("spam", {})
        baseline = metrics.get("baseline", {})
        rows.append({
            "run": info.name,
            "created": pd.to_datetime(meta.get("created"), utc=True, errors="coerce"),
            "status": info.status,
            "recipe": meta["config"].get("recipe"),
            "model": meta["config"].get("model"),
            "epochs": meta.get("epochs_run"),
            "best epoch": meta.get("best_epoch"),
            "seconds": meta.get("seconds"),
            "trainable parameters": meta.get("trainable_parameters"),
            "test accuracy": metrics.get("accuracy"),
            "test spam F1": spam.get("f1"),
            "baseline spam F1": baseline.get("classes", {}).get("spam", {}).get("f1"),
            "threshold": meta.get("threshold", DEFAULT_THRESHOLD),
        })
    columns = ["run", "created", "status", "recipe", "model", "epochs", "best epoch", "seconds",
               "trainable parameters", "test accuracy", "test spam F1", "baseline spam F1", "threshold"]
    table = pd.DataFrame(rows, columns=columns)
    for column in columns[5:]:  # numbers, with NaN where a run has none (not None, which breaks sorting and charts)
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


def delete_run(root: str | os.PathLike[str], name: str, *, force: bool = False) -> None:
    """Delete run ``name`` directly under ``root``, and nothing else.

    Refuses names that leave ``root`` (see :func:`run_path`), links, folders without ``run.json`` and —
    unless ``force`` — runs still marked as training. The folder is first renamed to a hidden name, so a
    half-deleted run is never listed.
    """
    path = run_path(root, name)
    root_dir = Path(root).resolve()
    if path.is_symlink():
        raise RunError(f"{path} is a link, not a run folder; not deleting it")
    if not path.is_dir():
        raise RunError(f"run {name!r} does not exist in {str(root)!r}")
    if path.resolve().parent != root_dir:
        raise RunError(f"{path} is not inside the runs folder {str(root_dir)!r}; not deleting it")
    if not (path / RUN_FILE).is_file():
        raise RunError(f"{path} has no {RUN_FILE}; not a spamcore run, not deleting it")
    if not force:
        try:
            status = read_run(path).status
        except RunError:  # a corrupted run can always be deleted
            status = "unreadable"
        if status == "running":
            raise RunError(f"run {name!r} is still training; stop it first (or delete with force)")
    trash = root_dir / f".deleting-{name}-{uuid.uuid4().hex[:8]}"
    os.replace(path, trash)
    shutil.rmtree(trash)


def zip_run(run_dir: str | os.PathLike[str]) -> bytes:
    """The run's files as a zip archive (in memory), inside a folder named after the run.

    Hidden and temporary files and links are left out. Weights are stored, not compressed (floats barely
    shrink); JSON, CSV and tokenizer files are deflated.
    """
    info = read_run(run_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(info.path.rglob("*")):
            relative = file.relative_to(info.path)
            if file.is_symlink() or not file.is_file() or any(p.startswith(".") for p in relative.parts):
                continue
            if file.name.endswith(".tmp"):
                continue
            method = zipfile.ZIP_STORED if file.suffix == ".safetensors" else zipfile.ZIP_DEFLATED
            archive.write(file, f"{info.name}/{relative.as_posix()}", compress_type=method)
    return buffer.getvalue()


def pipeline_snippet(info: RunInfo) -> str | None:
    """Python that loads a ``finetune`` run with ``transformers.pipeline``; None for a ``frozen`` run (its head is
    not a Hugging Face model: load it with :func:`load_classifier`)."""
    if info.config.recipe != "finetune":
        return None
    path = str(info.path.resolve())
    scheme = info.config.normalise
    imports = ["from transformers import pipeline"]
    body = [f"classify = pipeline(\"text-classification\", model={path!r})"]
    read = "text"
    if scheme != "none":  # the pipeline knows nothing of spamcore's normalisation: apply it first
        imports.insert(0, "from spamcore.text.normalise import normalising")
        body.append(f"read_as = normalising(classify.tokenizer, {scheme!r}).normalise")
        read = "read_as(text)"
    lines = [*imports, "", *body, "text = \"WINNER! Claim your free prize now\"",
             f"print(classify({read}))  # [{{'label': 'spam', 'score': ...}}]"]
    if info.temperature != 1.0:
        lines.append(f"# scores are before calibration: spamcore divides the logits by {info.temperature:.3g} "
                     "(same verdicts at 0.5)")
    return "\n".join(lines) + "\n"
