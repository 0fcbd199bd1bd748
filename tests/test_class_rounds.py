"""spamcore.classroom.rounds: a verdict for a student's message, the retrain settings, and an honest before/after."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import messages_frame

from spamcore.classroom.rounds import (
    HELD_ACCURACY,
    HELD_ERRORS,
    HELD_FOOLED,
    HELD_TRUE_PROBABILITY,
    HELD_UNSURE,
    KEEP_WEIGHT,
    REPLAY_ROWS,
    RETRAIN_LR,
    SUITE_F1,
    TEST_F1,
    before_after,
    class_file_name,
    comparison_key,
    distance_to_fooling,
    forgetting,
    held_out_scores,
    judge,
    read_comparison,
    replay_data,
    retrain_config,
    write_comparison,
)
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import recipe_defaults
from spamcore.model.loading import FinetuneClassifier, load_sequence_classifier, load_tokenizer


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

    config = retrain_config(Run)
    assert config.model == str(Run.path.resolve()) and config.extra_data == "bundled:modern"
    assert config.max_rows == REPLAY_ROWS and config.recipe == "finetune" and config.lr == RETRAIN_LR
    # It keeps the attacked run's own predictions on the replayed messages (Learning without Forgetting).
    assert config.distil_from == str(Run.path.resolve()) and config.distil_weight == KEEP_WEIGHT > 0
    Run.config = recipe_defaults("frozen")
    frozen = retrain_config(Run)
    assert frozen.model == Run.config.model and not frozen.distil_from  # a frozen run's head is not a HF model
    assert class_file_name(7) == "class-round-7.tsv"


def test_training_reads_class_messages_from_a_file_never_the_class_store(tmp_path):
    from spamcore.data.corpora import load_extra
    from spamcore.data.messages import write_messages
    from spamcore.errors import DataError
    from spamcore.model.config import model_description

    accepted = pd.DataFrame({"text": ["hey btw WIN a prize txt WIN", "see you at 6"], "label": [1, 0]})
    path = write_messages(accepted, tmp_path / class_file_name(3))
    read = load_extra(f"bundled:modern+{path}")
    assert read.tail(2)[["text", "label"]].values.tolist() == accepted.values.tolist()
    with pytest.raises(DataError, match="training reads files only"):
        load_extra("bundled:modern+class:3")
    assert model_description(str(tmp_path / "attacked"), f"bundled:modern+{path}") == "attacked, retrained on round 3"


def test_replay_is_the_training_split_only():
    from spamcore.data.messages import split_dataset

    frame = messages_frame(10)
    replay = replay_data(frame)
    assert not set(replay["text"]) & set(split_dataset(frame).test["text"])


def test_before_after_scores_both_models_on_the_same_messages(classifier):
    held_out = pd.DataFrame({"text": ["free cash now", "see you at home"], "label": [1, 0], "id": [3, 6]})
    test = messages_frame(2)
    table = before_after(held_out, test, classifier, classifier)
    assert list(table.columns) == ["before", "after"]
    assert set(table.index) == {HELD_FOOLED, HELD_UNSURE, HELD_ERRORS, HELD_ACCURACY, HELD_TRUE_PROBABILITY, TEST_F1,
                                SUITE_F1}
    assert (table["before"] == table["after"]).all()  # the same model scores the same
    assert forgetting(table) is None


def test_held_out_scores_count_not_sure_apart_and_as_an_error():
    from types import SimpleNamespace as P

    scores = held_out_scores([P(verdict="spam", spam_probability=0.9), P(verdict="unsure", spam_probability=0.5),
                              P(verdict="ham", spam_probability=0.2)], [1, 1, 1])
    assert scores[HELD_FOOLED] == pytest.approx(1 / 3) and scores[HELD_UNSURE] == pytest.approx(1 / 3)
    assert scores[HELD_ERRORS] == pytest.approx(2 / 3) and scores[HELD_ACCURACY] == pytest.approx(1 / 3)
    assert scores[HELD_TRUE_PROBABILITY] == pytest.approx((0.9 + 0.5 + 0.2) / 3)


def test_a_not_sure_says_how_far_it_was_from_fooling_the_model():
    from spamcore.evaluation.calibration import band_around

    band = band_around(0.5, 0.32)
    assert distance_to_fooling(0.30, "spam", band) == pytest.approx(0.12)
    assert distance_to_fooling(0.70, "ham", band) == pytest.approx(0.12)


def test_forgetting_is_flagged_above_the_tolerance():
    table = pd.DataFrame({"before": [0.964], "after": [0.947]}, index=[TEST_F1])
    assert forgetting(table) == pytest.approx(0.017)
    assert forgetting(pd.DataFrame({"before": [0.964], "after": [0.960]}, index=[TEST_F1])) is None


def test_a_comparison_is_stored_beside_the_run_and_read_back_only_for_its_key(tmp_path):
    held_out = pd.DataFrame({"text": ["a", "b"], "label": [1, 0], "id": [9, 3]})
    key = comparison_key("attacked", "retrained", held_out)
    assert key == "attacked|retrained|3,9"
    table = pd.DataFrame({"before": [0.5, 0.964], "after": [0.1, 0.96]}, index=[HELD_FOOLED, TEST_F1])
    table.index.name = "measure"
    assert read_comparison(tmp_path, key) is None
    write_comparison(tmp_path, key, table)
    assert read_comparison(tmp_path, key).equals(table)
    more = comparison_key("attacked", "retrained", pd.concat([held_out, held_out.assign(id=[12, 15])]))
    assert read_comparison(tmp_path, more) is None  # more messages held out: computed again


def test_a_run_folder_holding_the_class_file_the_board_hands_it_still_counts_as_new(tmp_path):
    """The board writes the class's messages into the retrain's folder before the trainer starts: the trainer must
    accept that folder (it once refused it: "already exists and is not empty")."""
    from spamcore.runs.layout import check_new_run_dir

    folder = tmp_path / "class-round-3-120000"
    folder.mkdir()
    (folder / class_file_name(3)).write_text("label\ttext\nspam\tWIN now\n")
    (folder / "training-data.tsv").write_text("label\ttext\n")
    assert check_new_run_dir(folder) == folder
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="already exists and is not empty"):
        check_new_run_dir(folder)
