"""Classification metrics as plain, JSON-ready dicts (pure functions over labels and probabilities)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from spamcore.errors import ConfigError
from spamcore.text.labels import LABEL_NAMES

#: A message is spam when its spam probability is at least the threshold; runs start at 0.5.
DEFAULT_THRESHOLD = 0.5


def check_threshold(threshold: object) -> float:
    """The threshold as a float, or :class:`ConfigError` when it is not a number in [0, 1].

    Example: ``check_threshold(0.7) == 0.7``; ``check_threshold(1.5)`` raises ConfigError.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise ConfigError(f"the spam threshold must be a number between 0 and 1; got {threshold!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"the spam threshold must be between 0 and 1; got {threshold}")
    return float(threshold)


def predict_labels(spam_prob: Sequence[float], threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """1 (spam) where the probability is at least ``threshold``, else 0 — the one place the rule is written.

    Example: ``predict_labels([0.2, 0.5, 0.9]).tolist() == [0, 1, 1]``
    """
    return (np.asarray(spam_prob, dtype=np.float64) >= threshold).astype(np.int64)


def confusion_counts(y_true: Sequence[int], predicted: Sequence[int]) -> dict[str, int]:
    """``tn``, ``fp``, ``fn``, ``tp`` for labels 0 ham / 1 spam.

    Example: ``confusion_counts([0, 1, 1], [1, 1, 0]) == {"tn": 0, "fp": 1, "fn": 1, "tp": 1}``
    """
    y, pred = np.asarray(y_true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return {"tn": int(((pred == 0) & (y == 0)).sum()), "fp": int(((pred == 1) & (y == 0)).sum()),
            "fn": int(((pred == 0) & (y == 1)).sum()), "tp": int(((pred == 1) & (y == 1)).sum())}


def binary_scores(y_true: Sequence[int], spam_prob: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """Accuracy and spam precision/recall/F1 at ``threshold``.

    Example: ``binary_scores([0, 1, 1], [0.1, 0.9, 0.2])["spam_recall"] == 0.5``
    """
    y = np.asarray(y_true, dtype=np.int64)
    pred = predict_labels(spam_prob, threshold)
    counts = confusion_counts(y, pred)
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float((pred == y).mean()) if y.size else 0.0,
        "spam_precision": precision, "spam_recall": recall, "spam_f1": f1,
    }


def classification_report(
    y_true: Sequence[int], spam_prob: Sequence[float], threshold: float = 0.5
) -> dict[str, object]:
    """Accuracy, per-class precision/recall/F1/support, macro and weighted averages, confusion matrix.

    ``confusion_matrix[i][j]`` counts messages of true class ``i`` predicted as ``j`` (0 = ham, 1 = spam).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y = np.asarray(y_true, dtype=np.int64)
    pred = predict_labels(spam_prob, threshold)
    precision, recall, f1, support = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    per_class = {
        name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
               "support": int(support[i])}
        for i, name in enumerate(LABEL_NAMES)
    }
    total = max(int(support.sum()), 1)
    averages = {
        kind: {metric: float(np.average([per_class[n][metric] for n in LABEL_NAMES], weights=w))
               for metric in ("precision", "recall", "f1")}
        for kind, w in (("macro avg", [1, 1]), ("weighted avg", support / total if support.sum() else [1, 1]))
    }
    return {
        "accuracy": float((pred == y).mean()) if y.size else 0.0,
        "threshold": threshold,
        "classes": per_class,
        **averages,
        "confusion_matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
        "n": int(y.size),
    }


def report_table(report: dict[str, object]) -> list[dict[str, object]]:
    """Rows of a classification report, for printing or a table widget."""
    rows = [{"class": name, **values} for name, values in report["classes"].items()]
    support = sum(r["support"] for r in rows)
    rows += [{"class": kind, **report[kind], "support": support} for kind in ("macro avg", "weighted avg")]
    return rows


def format_report(report: dict[str, object]) -> str:
    """A plain-text classification report like scikit-learn's."""
    lines = [f"{'':>14}{'precision':>11}{'recall':>9}{'f1-score':>10}{'support':>9}"]
    for row in report_table(report):
        lines.append(
            f"{row['class']:>14}{row['precision']:>11.3f}{row['recall']:>9.3f}{row['f1']:>10.3f}{row['support']:>9}"
        )
    lines.append(f"{'accuracy':>14}{report['accuracy']:>30.3f}{report['n']:>9}")
    (tn, fp), (fn, tp) = report["confusion_matrix"]
    lines.append(f"confusion matrix (rows true ham/spam, columns predicted): [[{tn} {fp}] [{fn} {tp}]]")
    return "\n".join(lines)
