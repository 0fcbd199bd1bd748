"""What a run shows a person: smoothed losses, epoch tables, row-normalised confusion, its test mistakes."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from spamcore.data import LABEL_NAMES
from spamcore.errors import RunError
from spamcore.metrics import predict_labels
from spamcore.runs import PREDICTIONS_FILE


def smooth(values: Sequence[float], weight: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction (as TensorBoard), so early points are not pulled to 0.

    Example: ``smooth([1.0, 1.0, 1.0]).tolist() == [1.0, 1.0, 1.0]``
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    avg = 0.0
    for i, value in enumerate(values):
        avg = weight * avg + (1 - weight) * value
        out[i] = avg / (1 - weight ** (i + 1))
    return out


def smoothing_weight(points: int) -> float:
    """A smoothing weight that suits the number of points (more points, smoother). Example: ``0 < w < 1``."""
    return float(min(0.98, max(0.0, 1 - 10 / max(points, 1))))


def epoch_table(records: Sequence) -> pd.DataFrame:
    """Epoch records (dataclasses or dicts) as a table with readable column names."""
    rows = [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r) for r in records]
    columns = {"epoch": "epoch", "train_loss": "train loss", "val_loss": "validation loss",
               "val_accuracy": "validation accuracy", "val_spam_f1": "validation spam F1", "seconds": "seconds",
               "is_best": "best so far"}
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.rename(columns=columns)


def row_normalised(matrix: Sequence[Sequence[float]]) -> np.ndarray:
    """Each row divided by its sum; a row with no messages stays 0.

    Example: ``row_normalised([[3, 1], [0, 0]]).tolist() == [[0.75, 0.25], [0.0, 0.0]]``
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def read_test_predictions(run_dir: str | Path, threshold: float = 0.5) -> pd.DataFrame:
    """A run's test messages: text, true label, predicted label, spam probability, correct."""
    path = Path(run_dir) / PREDICTIONS_FILE
    if not path.is_file():
        raise RunError(f"{path}: missing; the run has no test predictions (still training or stopped early)")
    try:
        frame = pd.read_csv(path, dtype={"text": str}, keep_default_na=False)
        labels = frame["label"].astype(int)
        probs = frame["spam_probability"].astype(float)
    except (ValueError, KeyError, pd.errors.ParserError) as err:
        raise RunError(f"{path}: cannot be read ({err}); the file is corrupted") from None
    predicted = pd.Series(predict_labels(probs, threshold), index=frame.index)
    return pd.DataFrame({
        "message": frame["text"], "true label": labels.map(dict(enumerate(LABEL_NAMES))),
        "predicted": predicted.map(dict(enumerate(LABEL_NAMES))), "spam probability": probs.round(4),
        "correct": labels == predicted,
    })


def wrong_predictions(run_dir: str | Path, threshold: float = 0.5) -> pd.DataFrame:
    """The test messages the run got wrong, most confidently wrong first."""
    frame = read_test_predictions(run_dir, threshold)
    wrong = frame[~frame["correct"]].drop(columns="correct")
    confidence = (wrong["spam probability"] - threshold).abs()
    return wrong.assign(_c=confidence).sort_values("_c", ascending=False).drop(columns="_c").reset_index(drop=True)


def loss_curves(info) -> tuple[list[float], list[dict], int]:
    """A run's per-step training losses, per-epoch records and steps per epoch (from ``history.json``)."""
    history = info.history()
    losses = [float(loss) for _, loss in history.get("steps", [])]
    train_size = int(info.meta.get("split_sizes", {}).get("train", 0))
    steps_per_epoch = max(1, math.ceil(train_size / info.config.batch_size))
    return losses, list(history.get("epochs", [])), steps_per_epoch


def test_scores(run_dir: str | Path) -> pd.DataFrame:
    """A run's test messages with their true label and both spam probabilities: columns ``text``, ``label``
    (0 ham, 1 spam), ``bert`` and ``baseline`` (NaN when the run has no TF-IDF baseline)."""
    path = Path(run_dir) / PREDICTIONS_FILE
    if not path.is_file():
        raise RunError(f"{path}: missing; the run has no test predictions (still training or stopped early)")
    try:
        frame = pd.read_csv(path, dtype={"text": str}, keep_default_na=False)
        baseline = (frame["baseline_spam_probability"].astype(float) if "baseline_spam_probability" in frame
                    else pd.Series(np.nan, index=frame.index))
        return pd.DataFrame({"text": frame["text"], "label": frame["label"].astype(int),
                             "bert": frame["spam_probability"].astype(float), "baseline": baseline})
    except (ValueError, KeyError, pd.errors.ParserError) as err:
        raise RunError(f"{path}: cannot be read ({err}); the file is corrupted") from None


def baseline_comparison(info) -> pd.DataFrame | None:
    """BERT next to the TF-IDF baseline on the run's test split (threshold 0.5): accuracy, spam precision,
    recall, F1 and training time; None when the run has no baseline scores.

    Example: a run with ``metrics["baseline"]`` gives two rows, ``model`` "BERT (frozen)" and "TF-IDF + logistic
    regression".
    """
    metrics = info.metrics or {}
    baseline = metrics.get("baseline") or {}
    if "classes" not in baseline or "classes" not in metrics:
        return None
    rows = []
    for name, report, seconds in ((f"BERT ({info.config.recipe})", metrics, info.meta.get("seconds")),
                                  ("TF-IDF + logistic regression", baseline, baseline.get("train_seconds"))):
        spam = report["classes"]["spam"]
        rows.append({"model": name, "accuracy": report["accuracy"], "spam precision": spam["precision"],
                     "spam recall": spam["recall"], "spam F1": spam["f1"],
                     "training time (s)": float(seconds) if seconds is not None else np.nan})
    return pd.DataFrame(rows)
