"""spamcore.evaluation.metrics: known answers and agreement with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from spamcore.evaluation.metrics import binary_scores, classification_report, format_report, report_table


def _sample(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)
    prob = np.clip(0.6 * y + rng.normal(0.2, 0.25, n), 0, 1)
    return y, prob


def test_binary_scores_known_answer():
    scores = binary_scores([0, 1, 1, 0], [0.1, 0.9, 0.2, 0.7])
    assert scores == {"accuracy": 0.5, "spam_precision": 0.5, "spam_recall": 0.5, "spam_f1": 0.5}
    assert binary_scores([0, 1, 1], [0.1, 0.9, 0.2])["spam_recall"] == 0.5


def test_threshold_is_inclusive():
    assert binary_scores([1], [0.5])["accuracy"] == 1.0
    assert binary_scores([1], [0.5], threshold=0.51)["accuracy"] == 0.0


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_scores_match_sklearn(seed, threshold):
    y, prob = _sample(seed=seed)
    pred = (prob >= threshold).astype(int)
    scores = binary_scores(y, prob, threshold)
    assert scores["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert scores["spam_precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0))
    assert scores["spam_recall"] == pytest.approx(skm.recall_score(y, pred, zero_division=0))
    assert scores["spam_f1"] == pytest.approx(skm.f1_score(y, pred, zero_division=0))


def test_binary_scores_without_spam_predictions_or_messages():
    assert binary_scores([0, 1], [0.1, 0.2]) == {
        "accuracy": 0.5, "spam_precision": 0.0, "spam_recall": 0.0, "spam_f1": 0.0,
    }
    assert binary_scores([], [])["accuracy"] == 0.0


@pytest.mark.parametrize("seed", [0, 3])
def test_classification_report_matches_sklearn(seed):
    y, prob = _sample(seed=seed)
    pred = (prob >= 0.5).astype(int)
    ours = classification_report(y, prob)
    theirs = skm.classification_report(y, pred, labels=[0, 1], target_names=["ham", "spam"], output_dict=True)
    assert ours["accuracy"] == pytest.approx(theirs["accuracy"])
    for name in ("ham", "spam"):
        for metric, sk_metric in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert ours["classes"][name][metric] == pytest.approx(theirs[name][sk_metric])
        assert ours["classes"][name]["support"] == theirs[name]["support"]
    for kind in ("macro avg", "weighted avg"):
        for metric, sk_metric in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert ours[kind][metric] == pytest.approx(theirs[kind][sk_metric])
    assert ours["confusion_matrix"] == skm.confusion_matrix(y, pred, labels=[0, 1]).tolist()
    assert ours["n"] == len(y)


def test_classification_report_known_confusion_matrix():
    report = classification_report([0, 0, 0, 1, 1], [0.1, 0.6, 0.2, 0.9, 0.4])
    assert report["confusion_matrix"] == [[2, 1], [1, 1]]
    assert report["classes"]["spam"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert report["accuracy"] == pytest.approx(0.6)
    assert report["threshold"] == 0.5


def test_classification_report_is_json_ready():
    import json

    y, prob = _sample()
    report = classification_report(y, prob)
    assert json.loads(json.dumps(report)) == report


def test_report_table_and_text():
    report = classification_report([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.4])
    rows = report_table(report)
    assert [r["class"] for r in rows] == ["ham", "spam", "macro avg", "weighted avg"]
    assert all(r["support"] == 4 for r in rows[2:])
    text = format_report(report)
    assert "precision" in text and "recall" in text and "f1-score" in text
    assert "[[2 0] [1 1]]" in text
    assert "0.750" in text  # accuracy
