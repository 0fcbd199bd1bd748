"""spamcore.evaluation.thresholds: metrics at a threshold and over thresholds, checked by hand and against
scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from spamcore.errors import ConfigError, DataError
from spamcore.evaluation.metrics import check_threshold
from spamcore.evaluation.thresholds import best_threshold, confusion_at, pr_curve, roc_curve, scores_at, threshold_table

Y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
P = np.array([0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.3, 0.55, 0.8, 0.95])


def _called_spam(probs: np.ndarray, threshold: float) -> np.ndarray:
    return (probs >= threshold).astype(int)


def _random_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    y[:2] = [0, 1]
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1).round(2)  # rounded: ties on purpose
    return y, p


def test_known_answer_at_one_threshold():
    # At 0.5: predicted spam = 0.5, 0.7 (ham) and 0.55, 0.8, 0.95 (spam) → tp 3, fp 2, fn 1, tn 4.
    scores = scores_at(Y, P, 0.5)
    assert (scores["tn"], scores["fp"], scores["fn"], scores["tp"]) == (4, 2, 1, 3)
    assert scores["spam_precision"] == pytest.approx(3 / 5)
    assert scores["spam_recall"] == pytest.approx(3 / 4)
    assert scores["spam_f1"] == pytest.approx(2 / 3)
    assert scores["accuracy"] == pytest.approx(0.7)
    assert confusion_at(Y, P, 0.5) == [[4, 2], [1, 3]]
    assert scores_at(Y, P, 0.0)["spam_recall"] == 1.0  # everything is spam
    assert scores_at(Y, P, 1.0)["tp"] == 0  # nothing reaches 1.0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("threshold", [0.0, 0.25, 0.5, 0.62, 0.9, 1.0])
def test_scores_match_sklearn(seed, threshold):
    y, p = _random_case(seed)
    pred = (p >= threshold).astype(int)
    scores = scores_at(y, p, threshold)
    assert scores["spam_precision"] == pytest.approx(sk.precision_score(y, pred, zero_division=0))
    assert scores["spam_recall"] == pytest.approx(sk.recall_score(y, pred, zero_division=0))
    assert scores["spam_f1"] == pytest.approx(sk.f1_score(y, pred, zero_division=0))
    assert scores["accuracy"] == pytest.approx(sk.accuracy_score(y, pred))
    assert confusion_at(y, p, threshold) == sk.confusion_matrix(y, pred, labels=[0, 1]).tolist()


def test_threshold_table_rows_are_scores_at_each_threshold():
    table = threshold_table(Y, P)
    assert table["threshold"].tolist() == pytest.approx([round(0.05 * i, 2) for i in range(1, 20)])
    for _, row in table.iterrows():
        expected = scores_at(Y, P, row["threshold"])
        assert row[list(expected)].to_dict() == pytest.approx(expected)
        assert row["flagged"] == pytest.approx(_called_spam(P, row["threshold"]).mean())
    assert threshold_table(Y, P, [0.5]).shape[0] == 1
    # Raising the threshold never raises recall.
    assert np.all(np.diff(table["spam_recall"].to_numpy()) <= 0)


@pytest.mark.parametrize("seed", range(3))
def test_curves_match_sklearn(seed):
    y, p = _random_case(seed)
    pr = pr_curve(y, p)
    precision, recall, thresholds = sk.precision_recall_curve(y, p)
    np.testing.assert_array_equal(pr.precision, precision)
    np.testing.assert_array_equal(pr.recall, recall)
    np.testing.assert_array_equal(pr.thresholds, thresholds)
    assert pr.average_precision == pytest.approx(sk.average_precision_score(y, p))
    roc = roc_curve(y, p)
    fpr, tpr, thresholds = sk.roc_curve(y, p)
    np.testing.assert_array_equal(roc.fpr, fpr)
    np.testing.assert_array_equal(roc.tpr, tpr)
    np.testing.assert_array_equal(roc.thresholds, thresholds)
    assert roc.auc == pytest.approx(sk.roc_auc_score(y, p))


def test_auc_known_answers():
    # Perfect separation → 1; every spam below every ham → 0; the fixed example: 20 of 24 pairs ordered.
    assert roc_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]).auc == 1.0
    assert roc_curve([0, 0, 1, 1], [0.8, 0.9, 0.1, 0.2]).auc == 0.0
    assert roc_curve(Y, P).auc == pytest.approx(20 / 24)
    assert pr_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]).average_precision == 1.0


def test_curves_need_both_classes():
    with pytest.raises(DataError, match="both ham and spam"):
        roc_curve([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="both ham and spam"):
        pr_curve([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="labels"):
        roc_curve([0, 1], [0.1])


def test_best_threshold_known_answers():
    assert best_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.9]) == 0.35
    # Every threshold in (0.2, 0.8] separates perfectly: the tie goes to the one closest to 0.5 — 0.5 itself.
    assert best_threshold([0, 1], [0.2, 0.8]) == 0.5
    # On the fixed example F1 peaks at 0.55 (precision 1, recall 3/4): check against a brute-force scan.
    grid = np.linspace(0, 1, 1001)
    f1 = [sk.f1_score(Y, _called_spam(P, t), zero_division=0) for t in grid]
    best = best_threshold(Y, P)
    assert sk.f1_score(Y, _called_spam(P, best)) == pytest.approx(max(f1))
    assert best == 0.55


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf"), "0.5", None, True])
def test_check_threshold_refuses_bad_values(bad):
    with pytest.raises(ConfigError, match="threshold"):
        check_threshold(bad)


def test_check_threshold_accepts_the_ends():
    assert check_threshold(0) == 0.0 and check_threshold(1) == 1.0 and check_threshold(0.25) == 0.25


def test_cell_messages_lists_one_cell_most_confident_first():
    from spamcore.evaluation.thresholds import CELLS, cell_messages

    texts = ["a", "b", "c", "d", "e", "f"]
    y = [0, 0, 0, 1, 1, 1]
    p = [0.1, 0.7, 0.95, 0.2, 0.6, 0.99]
    false_pos = cell_messages(texts, y, p, 0.5, 0, 1)
    assert list(false_pos["message"]) == ["c", "b"] and list(false_pos["row"]) == [2, 1]
    assert list(cell_messages(texts, y, p, 0.5, 1, 0)["message"]) == ["d"]
    assert list(cell_messages(texts, y, p, 0.5, 1, 1)["message"]) == ["f", "e"]
    assert list(cell_messages(texts, y, p, 0.65, 1, 0)["message"]) == ["d", "e"]  # the threshold moves messages
    sizes = [len(cell_messages(texts, y, p, 0.5, t, q)) for t, q in CELLS]
    assert sum(sizes) == len(texts)
    with pytest.raises(ValueError):
        cell_messages(texts, y, p, 0.5, 2, 0)
    with pytest.raises(ConfigError):
        cell_messages(texts, y, p, 1.5, 0, 0)
