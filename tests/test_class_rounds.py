"""spamcore.classroom.rounds: a verdict for a student's message, the retrain settings, and an honest before/after."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import messages_frame

from spamcore.classroom.rounds import REPLAY_ROWS, before_after, judge, replay_data, retrain_config
from spamcore.config import recipe_defaults
from spamcore.model import FinetuneClassifier, load_sequence_classifier, load_tokenizer
from spamcore.predict import SpamClassifier


@pytest.fixture(scope="module")
def classifier(tiny_model_dir) -> SpamClassifier:
    torch.manual_seed(0)
    config = recipe_defaults("finetune", model=str(tiny_model_dir), augment="", extra_data="", max_length=16,
                             precision="fp32")
    return SpamClassifier(FinetuneClassifier(load_sequence_classifier(str(tiny_model_dir))),
                          load_tokenizer(str(tiny_model_dir)), config, torch.device("cpu"))


def test_judge_says_fooled_when_the_verdict_is_the_opposite_of_the_truth(classifier):
    attempt = judge(classifier, "free prize now", "spam")
    assert attempt.verdict in ("spam", "ham") and attempt.fooled == (attempt.verdict == "ham")
    classifier.unsure_half_width = 0.5  # everything "not sure": nobody fools it
    try:
        assert judge(classifier, "free prize now", "ham") == judge(classifier, "free prize now", "spam")
        assert not judge(classifier, "free prize now", "ham").fooled
    finally:
        classifier.unsure_half_width = 0.0


def test_retrain_continues_from_a_finetune_run_with_the_class_and_the_supplement(tmp_path):
    class Run:
        path = tmp_path / "attacked"
        config = recipe_defaults("finetune")

    config = retrain_config(Run, 7)
    assert config.model == str(Run.path.resolve()) and config.extra_data == "bundled:modern+class:7"
    assert config.max_rows == REPLAY_ROWS and config.recipe == "finetune"
    Run.config = recipe_defaults("frozen")
    assert retrain_config(Run, 7).model == Run.config.model  # a frozen run's head is not a HF model


def test_replay_is_the_training_split_only():
    from spamcore.data import split_dataset

    frame = messages_frame(10)
    replay = replay_data(frame)
    assert not set(replay["text"]) & set(split_dataset(frame).test["text"])


def test_before_after_scores_both_models_on_the_same_messages(classifier):
    held_out = pd.DataFrame({"text": ["free cash now", "see you at home"], "label": [1, 0]})
    test = messages_frame(2)
    table = before_after(held_out, test, classifier, classifier)
    assert list(table.columns) == ["before", "after"]
    assert set(table.index) == {"class messages held out: share that fool it", "original test split: spam F1",
                                "robustness suite: spam F1"}
    assert (table["before"] == table["after"]).all()  # the same model scores the same
