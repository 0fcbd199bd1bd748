"""A run's saved test scores: its test messages with their probabilities, its mistakes, the row-normalised
confusion matrix and BERT beside the TF-IDF baseline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from spamcore.data.messages import LABEL_NAMES
from spamcore.errors import RunError
from spamcore.evaluation.metrics import predict_labels
from spamcore.runs.layout import PREDICTIONS_FILE


def row_normalised(matrix: Sequence[Sequence[float]]) -> np.ndarray:
    """Each row divided by its sum; a row with no messages stays 0.

    Example: ``row_normalised([[3, 1], [0, 0]]).tolist() == [[0.75, 0.25], [0.0, 0.0]]``
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def predictions_path(run_dir: str | Path) -> Path:
    """A run's test predictions file (the ready model's is made on this computer, from the data found here)."""
    path = Path(run_dir) / PREDICTIONS_FILE
    if not path.is_file() and (Path(run_dir) / "model-delta.safetensors").is_file():
        from spamcore.runs.packaging import test_predictions

        path = test_predictions(Path(run_dir))
    if not path.is_file():
        raise RunError(f"{path}: missing; the run has no test predictions (still training or stopped early)")
    return path


def read_test_predictions(run_dir: str | Path, threshold: float = 0.5) -> pd.DataFrame:
    """A run's test messages: text, true label, predicted label, spam probability, correct."""
    path = predictions_path(run_dir)
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


def test_scores(run_dir: str | Path) -> pd.DataFrame:
    """A run's test messages with their true label and both spam probabilities: columns ``text``, ``label``
    (0 ham, 1 spam), ``bert`` and ``baseline`` (NaN when the run has no TF-IDF baseline)."""
    path = predictions_path(run_dir)
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
