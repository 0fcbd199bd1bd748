"""spamcore.evaluation.baseline: the TF-IDF reference on a split, disagreements, and its place in every run folder."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from conftest import messages_frame

from spamcore.data.messages import Split, read_messages, split_dataset
from spamcore.errors import DataError
from spamcore.evaluation.baseline import DESCRIPTION, disagreements, train_baseline
from spamcore.evaluation.metrics import classification_report
from spamcore.model.config import recipe_defaults
from spamcore.runs.experiment import run_experiment


def test_baseline_learns_the_hand_written_messages(small_frame):
    split = split_dataset(small_frame)
    result = train_baseline(split)
    assert result.test_probabilities.shape == (len(split.test),)
    assert result.report["accuracy"] == 1.0  # the test messages are numbered copies of training messages
    assert result.report == classification_report(split.test["label"], result.test_probabilities)
    assert result.features > 0 and result.seconds > 0
    spam_p = result.model.predict_proba(["WINNER! Free cash prize, call now", "See you at home later"])[:, 1]
    assert spam_p[0] > 0.5 > spam_p[1]


def test_baseline_is_deterministic(small_frame):
    split = split_dataset(small_frame)
    np.testing.assert_array_equal(train_baseline(split).test_probabilities, train_baseline(split).test_probabilities)


def test_summary_is_json_ready(small_frame):
    summary = train_baseline(split_dataset(small_frame)).summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["model"] == DESCRIPTION
    assert {"accuracy", "classes", "confusion_matrix", "train_seconds", "features"} <= set(summary)


def test_messages_without_words_raise_a_data_error():
    frame = pd.DataFrame({"text": ["!", "?", ".", ","] * 10, "label": [0, 1] * 20})
    split = Split(frame, frame, frame)
    with pytest.raises(DataError, match="TF-IDF"):
        train_baseline(split)


def test_disagreements_known_answer():
    table = disagreements(
        ["a", "b", "c", "d"], [1, 0, 1, 0], [0.9, 0.1, 0.6, 0.45], [0.2, 0.3, 0.7, 0.55],
    )
    # "a": BERT spam, TF-IDF ham (gap 0.7); "d": BERT ham, TF-IDF spam (gap 0.1); "b", "c" agree.
    assert table["message"].tolist() == ["a", "d"]
    assert table["right"].tolist() == ["BERT", "BERT"]
    assert table["BERT label"].tolist() == ["spam", "ham"]
    assert table["TF-IDF label"].tolist() == ["ham", "spam"]
    assert table["true label"].tolist() == ["spam", "ham"]
    assert table["TF-IDF spam probability"].tolist() == [0.2, 0.55]


def test_disagreements_use_each_threshold_and_names():
    table = disagreements(["a"], [1], [0.3], [0.3], threshold_a=0.2, threshold_b=0.5, names=("A", "B"))
    assert table[["A label", "B label", "right"]].values.tolist() == [["spam", "ham", "A"]]
    assert disagreements([], [], [], []).empty
    with pytest.raises(ValueError, match="same length"):
        disagreements(["a"], [1, 0], [0.1], [0.2])


def test_run_experiment_saves_the_baseline_next_to_bert(tiny_model_dir, tmp_path):
    config = recipe_defaults("frozen", model=str(tiny_model_dir), device="cpu", precision="fp32", pooling="mean",
                             lr=5e-3, batch_size=8, epochs=1)
    info = run_experiment(config, messages_frame(4), tmp_path / "run")
    predictions = pd.read_csv(info.path / "test_predictions.csv")
    assert list(predictions.columns) == ["text", "label", "spam_probability", "baseline_spam_probability"]
    expected = train_baseline(split_dataset(messages_frame(4)))
    np.testing.assert_allclose(predictions["baseline_spam_probability"], expected.test_probabilities, atol=1e-6)
    baseline = info.metrics["baseline"]
    assert baseline["model"] == DESCRIPTION
    assert baseline["accuracy"] == expected.report["accuracy"]
    assert baseline["confusion_matrix"] == expected.report["confusion_matrix"]
    assert info.metrics["n"] == len(predictions)  # BERT's own report is unchanged around it


@pytest.mark.slow
def test_baseline_on_the_real_data(real_data):
    """Measured and reported: TF-IDF on the reference split of the SMS Spam Collection."""
    split = split_dataset(read_messages(real_data))
    start = time.perf_counter()
    result = train_baseline(split)
    total = time.perf_counter() - start
    spam = result.report["classes"]["spam"]
    print(f"\nTF-IDF baseline: accuracy {result.report['accuracy']:.4f}, spam P/R/F1 {spam['precision']:.3f}/"
          f"{spam['recall']:.3f}/{spam['f1']:.3f}, fit {result.seconds:.3f} s, fit+score {total:.3f} s")
    assert result.report["accuracy"] > 0.95 and spam["f1"] > 0.85

