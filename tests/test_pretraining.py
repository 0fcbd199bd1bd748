"""spamcore.teaching.pretraining: MLM masking rates and rules, NSP pairs with segment and position ids."""

from __future__ import annotations

from collections import Counter

import pytest

from spamcore.errors import DataError
from spamcore.model.loading import load_tokenizer
from spamcore.teaching.pretraining import (
    IS_NEXT,
    NOT_NEXT,
    build_pair,
    mask_tokens,
    masked_count,
)

# 20 word pieces under the tiny vocabulary (every word is in it).
SENTENCE = "see you at home later and call me when you get home at the cinema at seven I love you"



@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(str(tiny_model_dir))


def test_masked_count_known_answers():
    assert [masked_count(n) for n in (0, 1, 3, 7, 10, 20, 100)] == [0, 1, 1, 1, 2, 3, 15]
    assert masked_count(10, 0.5) == 5 and masked_count(3, 1.0) == 3


def test_fifteen_percent_of_the_content_tokens_are_chosen(tokenizer):
    masked = mask_tokens(tokenizer, SENTENCE, seed=0)
    content = [t for t in masked.tokens if not t.special]
    assert len(content) == 20
    assert len(masked.chosen) == 3  # 15 % of 20


def test_every_position_is_chosen_about_fifteen_percent_of_the_time(tokenizer):
    draws = 2000
    counts = Counter(t.position for seed in range(draws) for t in mask_tokens(tokenizer, SENTENCE, seed).chosen)
    rates = [counts[p] / draws for p in range(1, 21)]
    assert all(abs(rate - 0.15) < 0.03 for rate in rates), rates  # sd of one rate ≈ 0.008
    assert counts[0] == 0 and counts[21] == 0  # [CLS] and [SEP]


def test_chosen_tokens_are_split_80_10_10(tokenizer):
    actions = Counter(t.action for seed in range(2000) for t in mask_tokens(tokenizer, SENTENCE, seed).chosen)
    total = sum(actions.values())
    assert total == 6000
    # sd of a share ≈ 0.005 (mask) and 0.004 (random, keep): 0.02 is four to five of them.
    assert abs(actions["mask"] / total - 0.8) < 0.02
    assert abs(actions["random"] / total - 0.1) < 0.02
    assert abs(actions["keep"] / total - 0.1) < 0.02


def test_actions_show_what_they_say(tokenizer):
    special_ids = set(tokenizer.all_special_ids)
    for seed in range(300):
        masked = mask_tokens(tokenizer, SENTENCE, seed)
        for token in masked.tokens:
            if not token.chosen:
                assert token.action is None and token.shown_id == token.original_id
            elif token.action == "mask":
                assert token.shown == "[MASK]" and token.shown_id == tokenizer.mask_token_id
            elif token.action == "keep":
                assert token.shown == token.original
            else:
                assert token.action == "random" and token.shown_id not in special_ids
                assert not token.shown.startswith("[")
        assert masked.labels == [t.original_id if t.chosen else -100 for t in masked.tokens]


def test_special_tokens_are_never_chosen(tokenizer):
    for seed in range(500):
        masked = mask_tokens(tokenizer, "ok", seed)  # one content token: it is always the one chosen
        assert [t.chosen for t in masked.tokens] == [False, True, False]
        assert [t.special for t in masked.tokens] == [True, False, True]


def test_the_same_seed_gives_the_same_masking_and_another_seed_rerolls(tokenizer):
    first = mask_tokens(tokenizer, SENTENCE, seed=7)
    assert mask_tokens(tokenizer, SENTENCE, seed=7) == first
    rolls = {tuple(t.position for t in mask_tokens(tokenizer, SENTENCE, seed).chosen) for seed in range(20)}
    assert len(rolls) > 10


def test_masking_table_and_bad_input(tokenizer):
    table = mask_tokens(tokenizer, SENTENCE, seed=1).table()
    assert list(table.columns) == ["position", "original", "shown", "chosen", "action", "special", "original_id",
                                   "shown_id"]
    assert table["original"].iloc[0] == "[CLS]" and table["original"].iloc[-1] == "[SEP]"
    with pytest.raises(DataError, match="no tokens"):
        mask_tokens(tokenizer, "   ")
    with pytest.raises(ValueError, match="probability"):
        mask_tokens(tokenizer, SENTENCE, probability=0)


def test_pair_has_segments_and_positions(tokenizer):
    pair = build_pair(tokenizer, "see you later", "call me", is_next=True)
    assert [t.token for t in pair.tokens] == ["[CLS]", "see", "you", "later", "[SEP]", "call", "me", "[SEP]"]
    assert pair.token_type_ids == [0, 0, 0, 0, 0, 1, 1, 1]
    assert [t.segment for t in pair.tokens] == list("AAAAABBB")
    assert pair.position_ids == list(range(8))
    assert [t.special for t in pair.tokens] == [True, False, False, False, True, False, False, True]
    assert pair.label == IS_NEXT
    assert build_pair(tokenizer, "a", "b", is_next=False).label == NOT_NEXT
    assert list(pair.table().columns) == ["position", "token", "segment", "token_type_id", "special", "input_id"]


def test_pair_is_cut_to_max_length_keeping_both_sentences(tokenizer):
    pair = build_pair(tokenizer, "see you at home later " * 10, "call me", max_length=16)
    assert len(pair.tokens) == 16
    assert pair.tokens[-1].token == "[SEP]" and pair.token_type_ids.count(1) == 3  # call me [SEP]
    with pytest.raises(DataError, match="second sentence is empty"):
        build_pair(tokenizer, "hi", " ")


