"""spamcore.evaluation.robustness: the hand-written suite, its scoring (known answers with a keyword scorer), probes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from spamcore.data.corpora import load_extra
from spamcore.evaluation.calibration import UnsureBand
from spamcore.evaluation.robustness import (
    GROUPS,
    load_intent_suite,
    load_suite,
    misses,
    probe_variants,
    shortcut_probes,
    suite_report,
    verdicts,
)


def keyword_scorer(texts):
    """A stand-in model for known answers: spam when a message says 'win' or 'prize'."""
    return np.array([0.9 if ("win" in t.lower() or "prize" in t.lower()) else 0.1 for t in texts])


def test_suite_has_at_least_200_labelled_messages_in_named_groups():
    suite = load_suite()
    assert len(suite) >= 200
    assert suite["text"].is_unique
    assert set(suite["label"]) == {0, 1}
    assert suite["group"].notna().all()
    intent = load_intent_suite()
    assert set(suite["category"]) | set(intent["category"]) == {c for cats in GROUPS.values() for c in cats}
    assert set(intent["group"]) == {"intent"} and not set(intent["text"]) & set(suite["text"])
    for _, part in [*suite.groupby("category"), *intent.groupby("category")]:
        assert part["label"].nunique() == 1  # a category is all spam or all ham
        assert len(part) >= 5


def test_the_intent_suite_is_scored_on_its_own_group():
    report = suite_report(keyword_scorer, suite=load_intent_suite())
    assert [g["group"] for g in report["groups"]] == ["intent"]
    assert {c["category"] for c in report["categories"]} == set(GROUPS["intent"])
    assert report["overall"]["n"] == len(load_intent_suite())


def test_suite_shares_no_message_with_the_training_supplement():
    suite = set(load_suite()["text"].str.lower())
    assert not suite & set(load_extra("bundled:modern")["text"].str.lower())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def test_no_supplement_message_is_a_near_copy_of_a_suite_message():
    """Not even reworded: a training line sharing half its words with a suite line would make the suite an easier
    exam than the messages people write (word-set Jaccard similarity, both suites)."""
    from spamcore.evaluation.suites.evasion import load_evasion_suite

    suite = [_words(t) for t in [*load_suite()["text"], *load_evasion_suite()["text"]]]
    close = []
    for text in load_extra("bundled:modern")["text"]:
        words = _words(text)
        best = max(len(words & s) / len(words | s) for s in suite)
        if best >= 0.5:
            close.append((round(best, 2), text))
    assert not close


def test_suite_shares_no_message_with_the_sms_collection(real_data):
    from spamcore.data.messages import read_messages

    corpus = set(read_messages(real_data)["text"].str.lower().str.strip())
    assert not set(load_suite()["text"].str.lower().str.strip()) & corpus


def test_suite_report_known_answer_on_a_small_suite():
    suite = pd.DataFrame({
        "category": ["a", "a", "b", "b"], "label": [1, 1, 0, 0], "group": ["typed"] * 4,
        "text": ["win big", "free money", "see you", "prize giving at school"],
    })
    report = suite_report(keyword_scorer, suite=suite)
    cats = {c["category"]: c for c in report["categories"]}
    assert (cats["a"]["correct"], cats["a"]["n"], cats["b"]["correct"]) == (1, 2, 1)
    overall = report["overall"]
    assert overall["spam_precision"] == 0.5 and overall["spam_recall"] == 0.5
    assert overall["ham_precision"] == 0.5 and overall["accuracy"] == 0.5
    wrong = misses(report)
    assert set(wrong["text"]) == {"free money", "prize giving at school"}


def test_verdicts_known_answer():
    assert verdicts([0.1, 0.5, 0.9]).tolist() == ["ham", "spam", "spam"]
    assert verdicts([0.1, 0.45, 0.7, 0.9], band=UnsureBand(0.3, 0.7)).tolist() == ["ham", "unsure", "spam", "spam"]


def test_suite_report_with_a_band_counts_not_sure_as_neither_caught_nor_passed():
    suite = pd.DataFrame({
        "category": ["a", "a", "b", "b"], "label": [1, 1, 0, 0], "group": ["typed"] * 4,
        "text": ["win big", "free money", "see you", "prize giving"],
    })

    def scorer(texts):
        return np.array([{"win big": 0.95, "free money": 0.6, "see you": 0.05, "prize giving": 0.4}[t] for t in texts])

    report = suite_report(scorer, suite=suite, band=UnsureBand(0.3, 0.7))
    cats = {c["category"]: c for c in report["categories"]}
    assert (cats["a"]["correct"], cats["a"]["share_unsure"]) == (1, 0.5)
    assert (cats["b"]["correct"], cats["b"]["share_unsure"]) == (1, 0.5)
    overall = report["overall"]
    assert overall["spam_precision"] == 1.0 and overall["spam_recall"] == 0.5
    assert overall["unsure_share"] == 0.5 and overall["accuracy"] == 0.5
    without = suite_report(scorer, suite=suite)["overall"]
    assert without["spam_recall"] == 1.0 and without["unsure_share"] == 0.0


def test_suite_report_on_the_real_suite_has_every_group():
    report = suite_report(keyword_scorer)
    assert [g["group"] for g in report["groups"]] == ["typed", "modern"]  # the intent suite is scored on its own
    assert sum(c["n"] for c in report["categories"]) == len(report["messages"]) == len(load_suite())


def test_probe_variants_known_answer():
    variants = dict(probe_variants("WIN £900 now, call 0906 today to claim it"))
    assert variants["as written"] == "WIN £900 now, call 0906 today to claim it"
    assert variants["first 6 words"] == "WIN £900 now, call 0906 today"
    assert variants["numbers removed"] == "WIN now, call today to claim it"
    assert variants["lower case"] == "win £900 now, call 0906 today to claim it"


def test_probe_variants_drop_repeats_and_empties():
    assert [c for c, _ in probe_variants("ok")] == ["as written", "upper case"]
    assert [c for c, _ in probe_variants("123")] == ["as written"]


def test_shortcut_probes_score_every_variant():
    probes = shortcut_probes(keyword_scorer, "You WIN a prize, call 0800 123")
    assert probes[0].change == "as written"
    assert all(p.spam_probability == pytest.approx(0.9) for p in probes)
