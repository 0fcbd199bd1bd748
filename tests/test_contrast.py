"""The contrast pairs (issue 38): repeatable, balanced, every family with and without a link, minimal edits where
the pair shares the scam's claim, and held out from the test split and the suites."""

from __future__ import annotations

import difflib
import re

import pytest

from spamcore.data.corpora import CONTRAST_PAIRS, load_extra
from spamcore.data.corpora.contrast import FAMILIES, contrast_pairs, contrast_written
from spamcore.model.config import BUNDLED_CONTRAST, BUNDLED_EVERYDAY


def _words(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_pairs_are_repeatable_distinct_and_cover_every_family_with_and_without_a_link():
    pairs = contrast_pairs(CONTRAST_PAIRS)
    assert pairs == contrast_pairs(CONTRAST_PAIRS) and len(pairs) == CONTRAST_PAIRS
    texts = [t for p in pairs for t in (p.spam, p.ham)]
    assert len(set(texts)) == len(texts)
    for family in FAMILIES:
        mine = [p for p in pairs if p.family == family.name]
        assert len(mine) >= 40, family.name
        if any("{link}" in a for a in family.asks):
            assert any(p.link for p in mine) and any(not p.link for p in mine), family.name
    # a third of the scams ask by reply, call or money alone: the link is not what makes a scam
    assert 0.2 < sum(not p.link for p in pairs) / len(pairs) < 0.8


def test_a_pair_shares_its_topic_and_the_new_number_pairs_differ_only_in_the_ask():
    pairs = contrast_pairs(CONTRAST_PAIRS)
    for p in pairs:
        claim = _words(p.spam.split(". ")[0])[:25]
        if p.family != "hi-mum scams talked about" and claim in _words(p.ham):
            break
    else:
        pytest.fail("no ham quotes its scam's claim")
    same_claim = [p for p in pairs if p.family == "hi-mum and new number"]
    assert all(_words(p.spam).split()[:6] == _words(p.ham).split()[:6] for p in same_claim)


def test_bundled_contrast_reads_as_labelled_extra_data_half_ham():
    frame = load_extra(BUNDLED_CONTRAST)
    assert list(frame.itertuples(index=False, name=None)) == contrast_written(CONTRAST_PAIRS)
    assert frame["label"].mean() == 0.5
    everyday = load_extra(BUNDLED_EVERYDAY)
    assert set(everyday["label"]) == {0, 1} and len(everyday) == 2000


def test_no_pair_is_a_test_split_message_nor_close_to_a_suite_message(real_data):
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.evaluation.robustness import load_intent_suite, load_suite
    from spamcore.evaluation.suites.evasion import load_evasion_suite

    texts = [t for t, _ in contrast_written(CONTRAST_PAIRS)]
    test = {_words(t) for t in split_dataset(read_messages(real_data)).test["text"]}
    assert not [t for t in texts if _words(t) in test]
    written = sorted({_words(t) for t in texts})
    held_out = [*load_suite()["text"], *load_evasion_suite()["text"], *load_intent_suite()["text"]]
    near = [t for t in held_out if difflib.get_close_matches(_words(t), written, n=1, cutoff=0.8)]
    assert near == []
