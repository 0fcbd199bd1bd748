"""One training run end to end: sample, split, train, checkpoint, evaluate on the test split, save.

This is the function the CLI and the app call; :func:`spamcore.training.loop.train` is the loop inside it.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from spamcore import __version__
from spamcore.data.messages import Split, cache_dir, deduplicate, split_dataset, subsample
from spamcore.errors import DataError
from spamcore.evaluation.baseline import DESCRIPTION as BASELINE_DESCRIPTION
from spamcore.evaluation.baseline import train_baseline
from spamcore.evaluation.calibration import calibrate, test_summary
from spamcore.evaluation.metrics import classification_report
from spamcore.evaluation.robustness import load_intent_suite, suite_report
from spamcore.evaluation.suites.evasion import evasion_report
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import TrainConfig
from spamcore.runs.layout import (
    FINISHED,
    FORMAT_VERSION,
    HISTORY_FILE,
    METRICS_FILE,
    PREDICTIONS_FILE,
    RUN_FILE,
    STOPPED,
    check_new_run_dir,
    is_job_file,
    now_iso,
)
from spamcore.runs.store import RunInfo, atomic_write, read_run, save_classifier, write_json
from spamcore.training.distributed import is_main_process
from spamcore.training.loop import EpochRecord, Progress, StepProgress, TrainResult, train

#: Test messages a stopped run is scored on (its metrics say "scored_on").
STOPPED_TEST_LIMIT = 2000


def data_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over the labelled messages, to tell runs on different data apart."""
    digest = hashlib.sha256()
    for text, label in zip(frame["text"], frame["label"], strict=True):
        digest.update(f"{label}\t{text}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def run_experiment(
    config: TrainConfig,
    data: pd.DataFrame,
    run_dir: str | Path,
    *,
    data_name: str = "data",
    callback: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    report_to: str | None = None,
) -> RunInfo | None:
    """Train ``config`` on ``data`` and write the complete run to ``run_dir`` (which must not exist yet).

    The best checkpoint is written whenever validation loss improves, so a stopped or killed run keeps it.
    Settings, model and data are checked before the folder is created; a run that fails before its first
    checkpoint is removed again, so no half-written run is left behind.
    """
    run_dir = check_new_run_dir(run_dir)
    frame = subsample(deduplicate(data) if config.dedupe else data, config.max_rows)
    split = split_dataset(frame)
    check_model(config)
    if not is_main_process():  # another process of a data-parallel launch: train in step, write nothing
        train(config, split, stop=stop, report_to=report_to)
        return None
    meta = {
        "format": FORMAT_VERSION,
        "spamcore_version": __version__,
        "status": "running",
        "created": now_iso(),
        "config": config.to_dict(),
        "data": {"name": data_name, "rows": len(frame), "rows_available": len(data),
                 "sha256": data_fingerprint(frame)},
        "split_sizes": split.sizes(),
        "labels": ["ham", "spam"],
    }
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / RUN_FILE, meta)

    epochs: list[dict] = []
    steps: list[list[float]] = []

    def listen(event: Progress) -> None:
        if isinstance(event, StepProgress):
            steps.append([event.global_step, round(event.loss, 6)])
        if callback is not None:
            callback(event)

    def checkpoint(classifier: SpamClassifier, record: EpochRecord) -> None:
        save_classifier(classifier, run_dir)
        epochs.append(asdict(record))
        write_json(run_dir / HISTORY_FILE, {"epochs": epochs, "steps": steps})
        write_json(run_dir / RUN_FILE, {**meta, "best_epoch": record.epoch})

    try:
        result = train(
            config, split, callback=listen, stop=stop, on_best=checkpoint,
            feature_cache_dir=cache_dir() / "features", report_to=report_to, log_dir=run_dir / "logs",
        )
    except BaseException as err:
        if not epochs:  # nothing was checkpointed: leave no run behind
            _remove_run(run_dir, created)
        else:  # the best checkpoint so far stays loadable; run.json says why the run ended
            write_json(run_dir / RUN_FILE, {**meta, "best_epoch": epochs[-1]["epoch"], "status": "failed",
                                            "error": str(err)[:500]})
        raise
    history = {"epochs": [asdict(r) for r in result.history], "steps": steps}
    write_json(run_dir / HISTORY_FILE, history)
    if steps and not result.stopped:  # the next estimate on Train reads this run's own pace, not only a probe's
        from spamcore.runs.estimate import record_pace

        record_pace(config, result.seconds / len(steps))

    # A stopped run must reach its final state in seconds, also on a large upload: it is scored on a sample of the
    # test split (the split is shuffled, so its first rows are one), and says so.
    test = split.test.iloc[:STOPPED_TEST_LIMIT] if result.stopped else split.test
    validation = split.validation.iloc[:STOPPED_TEST_LIMIT] if result.stopped else split.validation
    calibration = calibrate_on(result.classifier, validation, config.unsure_width)
    probs = result.classifier.predict_proba(list(test["text"]))
    report = classification_report(test["label"].to_numpy(), probs)
    report["calibration"] = test_summary(test["label"].to_numpy(), probs, calibration["temperature"],
                                         calibration["unsure_half_width"])
    report["split_sizes"] = split.sizes()
    if len(test) < len(split.test):
        report["scored_on"] = {"messages": len(test), "of": len(split.test), "why": "stopped"}
    predictions = test.assign(spam_probability=probs.round(6))
    # The TF-IDF reference on the same split (well under a second): a run that cannot have one still counts.
    try:
        baseline = train_baseline(Split(split.train, split.validation, test))
        report["baseline"] = baseline.summary()
        predictions["baseline_spam_probability"] = baseline.test_probabilities.round(6)
    except DataError as err:
        report["baseline"] = {"model": BASELINE_DESCRIPTION, "error": str(err)}
    # Outside the test set: the hand-written suite of messages written today (a fraction of a second).
    # Scored by the verdict a user sees: "not sure" is neither caught nor passed.
    band = result.classifier.unsure_band
    report["robustness"] = suite_report(result.classifier.predict_proba, result.classifier.threshold, band=band)
    report["intent"] = suite_report(result.classifier.predict_proba, result.classifier.threshold,
                                    suite=load_intent_suite(), band=band)
    # ... and the suite's spam rewritten with the tricks used against filters (about a second).
    report["evasion"] = evasion_report(result.classifier.predict_proba, result.classifier.threshold, band=band)
    write_json(run_dir / METRICS_FILE, report)
    atomic_write(run_dir / PREDICTIONS_FILE, predictions.to_csv(index=False).encode("utf-8"))
    write_json(run_dir / RUN_FILE, {**meta, **_summary(result, config), "calibration": calibration,
                                    "finished": now_iso(),
                                    "status": STOPPED if result.stopped else FINISHED})
    return read_run(run_dir)


def calibrate_on(classifier: SpamClassifier, validation: pd.DataFrame, half_width: float | None) -> dict:
    """Honest probabilities: fit ``classifier``'s temperature on ``validation`` (no verdict at the threshold
    changes) and choose its "not sure" band there (or take ``half_width``); set both on it and return what a run
    saves as ``run.json``'s ``"calibration"``."""
    calibration = calibrate(validation["label"].to_numpy(), classifier.predict_proba(list(validation["text"])),
                            classifier.threshold, half_width=half_width)
    classifier.temperature = calibration["temperature"]
    classifier.unsure_half_width = calibration["unsure_half_width"]
    return calibration


def check_model(config: TrainConfig) -> None:
    """Refuse, before anything is written, a device, model or tokenizer that cannot load, or a max length above
    the model's limit (each a :class:`~spamcore.errors.SpamcoreError`). Reads config and vocabulary only."""
    from transformers import AutoConfig

    from spamcore.model.loading import check_max_length, from_pretrained, load_tokenizer, resolve_device

    resolve_device(config.device)
    check_max_length(config.max_length, from_pretrained(AutoConfig, config.model))
    load_tokenizer(config.model)


def _remove_run(run_dir: Path, created: bool) -> None:
    """Delete what this run wrote (the whole folder when it created it; else its contents but a job's files)."""
    if created:
        shutil.rmtree(run_dir, ignore_errors=True)
        return
    for child in run_dir.iterdir():
        if is_job_file(child.name):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _precision(config: TrainConfig, device: str) -> dict:
    """How the run's precision was chosen, with the measured figures (saved in run.json)."""
    import dataclasses

    import torch

    from spamcore.model.precision import choose

    return dataclasses.asdict(choose(config.precision, torch.device(device)))


def _summary(result: TrainResult, config: TrainConfig) -> dict:
    return {
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "early_stopped": result.early_stopped,
        "seconds": round(result.seconds, 2),
        "device": result.device,
        "bf16": result.bf16,
        "precision": _precision(config, result.device),
        "trainable_parameters": result.trainable_parameters,
        "total_parameters": result.total_parameters,
    }
