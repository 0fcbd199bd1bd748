"""Metrics as a function of the spam threshold: a message is spam when its spam probability is ``>= threshold``.

Pure functions over true labels (0 ham, 1 spam) and spam probabilities: the scores and confusion matrix at one
threshold, a table over many, the precision–recall and ROC curves with their areas, and the threshold with the
best F1. A run's chosen threshold is stored by :func:`spamcore.runs.set_threshold`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamcore.errors import DataError
from spamcore.evaluation.metrics import (
    DEFAULT_THRESHOLD,
    binary_scores,
    check_threshold,
    confusion_counts,
    predict_labels,
)


def confusion_at(y_true: Sequence[int], spam_prob: Sequence[float], threshold: float) -> list[list[int]]:
    """``[[tn, fp], [fn, tp]]``: rows true ham/spam, columns predicted ham/spam.

    Example: ``confusion_at([0, 0, 1, 1], [0.2, 0.6, 0.4, 0.9], 0.5) == [[1, 1], [1, 1]]``
    """
    c = confusion_counts(y_true, predict_labels(spam_prob, threshold))
    return [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]


def scores_at(y_true: Sequence[int], spam_prob: Sequence[float], threshold: float) -> dict[str, float]:
    """Accuracy, spam precision/recall/F1 and the four confusion counts at ``threshold``.

    Example: ``scores_at([0, 1, 1], [0.1, 0.9, 0.4], 0.5)["spam_recall"] == 0.5`` and ``... 0.3)[...] == 1.0``
    """
    threshold = check_threshold(threshold)
    (tn, fp), (fn, tp) = confusion_at(y_true, spam_prob, threshold)
    return {"threshold": threshold, **binary_scores(y_true, spam_prob, threshold),
            "tn": tn, "fp": fp, "fn": fn, "tp": tp}


#: The four cells of a confusion matrix, as (true class, predicted class), named as people say them.
CELLS = {
    (0, 0): "ham kept (true negatives)",
    (0, 1): "ham called spam (false positives)",
    (1, 0): "spam missed (false negatives)",
    (1, 1): "spam caught (true positives)",
}


def cell_messages(texts: Sequence[str], y_true: Sequence[int], spam_prob: Sequence[float], threshold: float,
                  true_class: int, predicted_class: int) -> pd.DataFrame:
    """The messages in one cell of the confusion matrix at ``threshold``: columns ``message`` and
    ``spam probability``, the most confident first (furthest from the threshold), with the original row in
    ``row``. Example: ``cell_messages(t, y, p, 0.5, 0, 1)`` lists the ham called spam."""
    check_threshold(threshold)
    if (true_class, predicted_class) not in CELLS:
        raise ValueError(f"no cell ({true_class}, {predicted_class}) in a 2x2 confusion matrix")
    y, p = _labels(y_true), np.asarray(spam_prob, dtype=np.float64)
    keep = (y == true_class) & (predict_labels(p, threshold) == predicted_class)
    rows = np.flatnonzero(keep)
    order = rows[np.argsort(-np.abs(p[rows] - threshold), kind="stable")]
    return pd.DataFrame({"message": [texts[i] for i in order], "spam probability": p[order], "row": order})


def false_positive_rate(scores: dict[str, float]) -> float:
    """Share of ham called spam, from :func:`scores_at`'s counts. Example: ``fp=2, tn=8`` gives ``0.2``."""
    return scores["fp"] / max(scores["fp"] + scores["tn"], 1)


def threshold_table(
    y_true: Sequence[int], spam_prob: Sequence[float], thresholds: Sequence[float] | None = None
) -> pd.DataFrame:
    """One row of :func:`scores_at` per threshold (default 0.05, 0.10, ..., 0.95), plus ``flagged``, the share
    of messages called spam.

    Example: ``threshold_table([0, 1], [0.2, 0.8], [0.5])["spam_f1"].tolist() == [1.0]``
    """
    if thresholds is None:
        thresholds = np.round(np.arange(1, 20) * 0.05, 2)
    n = max(len(_labels(y_true)), 1)
    rows = []
    for t in thresholds:
        row = scores_at(y_true, spam_prob, float(t))
        rows.append({**row, "flagged": (row["tp"] + row["fp"]) / n})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PRCurve:
    """Precision against recall over every threshold (as sklearn's ``precision_recall_curve``)."""

    precision: np.ndarray  # (n + 1,), last element 1
    recall: np.ndarray  # (n + 1,), decreasing, last element 0
    thresholds: np.ndarray  # (n,), increasing; point i uses thresholds[i]
    average_precision: float  # the area summary sklearn recommends (no optimistic interpolation)


@dataclass(frozen=True)
class ROCCurve:
    """True-positive rate (spam recall) against false-positive rate (share of ham called spam)."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray  # decreasing; the first is +inf (nothing called spam)
    auc: float


def pr_curve(y_true: Sequence[int], spam_prob: Sequence[float]) -> PRCurve:
    """The precision–recall curve and its average precision (sklearn)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y, p = _both_classes(y_true, spam_prob)
    precision, recall, thresholds = precision_recall_curve(y, p)
    return PRCurve(precision, recall, thresholds, float(average_precision_score(y, p)))


def roc_curve(y_true: Sequence[int], spam_prob: Sequence[float]) -> ROCCurve:
    """The ROC curve and the area under it (sklearn)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.metrics import roc_curve as sk_roc_curve

    y, p = _both_classes(y_true, spam_prob)
    fpr, tpr, thresholds = sk_roc_curve(y, p)
    return ROCCurve(fpr, tpr, thresholds, float(roc_auc_score(y, p)))


def best_threshold(y_true: Sequence[int], spam_prob: Sequence[float]) -> float:
    """The threshold with the highest spam F1; among equals, the one closest to 0.5.

    Candidates are the probabilities themselves (F1 only changes there) and 0.5.
    Example: ``best_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.9]) == 0.35``
    """
    y, p = _labels(y_true), np.asarray(spam_prob, dtype=np.float64)
    candidates = np.unique(np.concatenate([p, [DEFAULT_THRESHOLD]]))
    candidates = candidates[(candidates >= 0) & (candidates <= 1)]
    f1 = np.array([binary_scores(y, p, float(t))["spam_f1"] for t in candidates])
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))
    return float(candidates[best[np.argmin(np.abs(candidates[best] - DEFAULT_THRESHOLD))]])


def _labels(y_true: Sequence[int]) -> np.ndarray:
    return np.asarray(y_true, dtype=np.int64)


def _both_classes(y_true: Sequence[int], spam_prob: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y, p = _labels(y_true), np.asarray(spam_prob, dtype=np.float64)
    if len(y) != len(p):
        raise ValueError(f"{len(y)} labels but {len(p)} probabilities")
    if len(np.unique(y)) < 2:
        raise DataError("precision–recall and ROC curves need both ham and spam messages among the labels")
    return y, p
