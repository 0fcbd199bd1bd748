"""spamcore.evaluation.suites.evasion:
every spam message of the suite under every trick, the same each time, scored per trick;
and nothing of either suite is ever trained on."""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np
import pandas as pd

from spamcore.data.corpora import load_extra
from spamcore.evaluation.robustness import load_suite
from spamcore.evaluation.suites.evasion import (
    REWRITES,
    TRICKS,
    evasion_report,
    format_evasion_table,
    load_evasion_suite,
)
from spamcore.model.config import recipe_defaults
from spamcore.text.normalise import normalise


def test_every_spam_message_under_every_trick():
    suite = load_evasion_suite()
    spam = load_suite().query("label == 1")
    assert list(suite["trick"].unique()) == list(TRICKS)
    for trick in REWRITES:
        part = suite[suite["trick"] == trick]
        assert len(part) == len(spam)
        assert (part["text"].to_numpy() != part["source"].to_numpy()).mean() > 0.9  # the trick changed them
    assert (suite["label"] == 1).all()
    assert len(suite[suite["trick"] == "paraphrase"]) >= 20


def test_dense_swaps_and_the_friendly_wrapper_rewrite_as_people_do():
    suite = load_evasion_suite()
    def kept(trick: str) -> float:  # how much of the letters survive as written (1: all)
        part = suite[suite["trick"] == trick]
        return float(np.mean([SequenceMatcher(None, s, t).ratio() for t, s in zip(part["text"], part["source"],
                                                                                 strict=True)]))

    assert kept("dense swaps") < kept("swaps") - 0.03  # denser than the one-edit swaps (0.88 against 0.92)
    wrapped = suite[suite["trick"] == "friendly wrapper"]
    assert all(s.strip() in t and not t.startswith(s.strip()) for t, s in zip(wrapped["text"], wrapped["source"],
                                                                              strict=True))


def test_the_suite_is_the_same_every_time():
    pd.testing.assert_frame_equal(load_evasion_suite(), load_evasion_suite())


def test_invisible_tricks_are_undone_by_normalisation_and_visible_ones_are_not():
    suite = load_evasion_suite()
    def letters(text: str) -> str:  # a spaced word re-joined may take a one-letter word next to it along
        return normalise(text).lower().replace(" ", "")

    for trick in ("zero-width", "homoglyphs", "spacing"):
        part = suite[suite["trick"] == trick]
        undone = np.mean([letters(t) == letters(s) for t, s in zip(part["text"], part["source"], strict=True)])
        assert undone > 0.9, trick
    swaps = suite[suite["trick"] == "swaps"]
    assert np.mean([normalise(t) == s for t, s in zip(swaps["text"], swaps["source"], strict=True)]) < 0.1


def test_report_per_trick_known_answer():
    suite = pd.DataFrame({"trick": ["as written", "as written", "leet"], "category": ["a"] * 3, "label": [1] * 3,
                          "text": ["win now", "hello", "w1n now"], "source": ["", "", ""]})
    report = evasion_report(lambda texts: np.array([0.9 if "win" in t else 0.1 for t in texts]), suite=suite)
    assert [(t["trick"], t["recall"]) for t in report["tricks"]] == [("as written", 0.5), ("leet", 0.0)]
    assert report["worst_recall"] == 0.0 and len(report["missed"]) == 2
    assert "| leet | 1 | 0.00 |" in format_evasion_table({"model": report})


def test_report_with_a_band_counts_not_sure_as_not_caught():
    from spamcore.evaluation.calibration import UnsureBand

    suite = pd.DataFrame({"trick": ["leet"] * 2, "category": ["a"] * 2, "label": [1] * 2,
                          "text": ["w1n now", "win now"], "source": ["", ""]})
    report = evasion_report(lambda texts: np.array([0.6 if "1" in t else 0.9 for t in texts]), suite=suite,
                            band=UnsureBand(0.4, 0.7))
    assert report["tricks"] == [{"trick": "leet", "n": 2, "caught": 1, "recall": 0.5, "share_unsure": 0.5}]


def test_no_suite_message_reaches_training(real_data):
    """Both suites stay out of every training split: not in the bundled supplement, not in the SMS collection, and
    not in what the default recipe trains on (augmented and supplemented)."""
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.training.loop import fresh_sampler, training_frame

    suites = set(load_suite()["text"].str.lower().str.strip()) | set(
        load_evasion_suite()["text"].str.lower().str.strip())
    assert not suites & set(load_extra("bundled:modern")["text"].str.lower().str.strip())
    data = read_messages(real_data)
    assert not suites & set(data["text"].str.lower().str.strip())
    config = recipe_defaults("finetune")
    trained_on = training_frame(split_dataset(data).train, config)
    assert not suites & set(trained_on["text"].str.lower().str.strip())
    sampler = fresh_sampler(trained_on, config)
    for epoch in range(1, config.epochs + 1):  # what the sampler makes of it, pass by pass
        assert not suites & set(sampler.epoch(epoch)["text"].str.lower().str.strip())
