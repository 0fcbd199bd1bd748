"""spamcore.model.batching: tokenising without padding, dynamic padding, training and inference batch orders."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from spamcore.model.batching import pad_batch, sorted_batches, staged_batches, tokenize, training_batches


def test_pad_batch_known_answer():
    ids, mask = pad_batch([[1, 2, 3], [4], [5, 6]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0], [5, 6, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert ids.dtype == mask.dtype == torch.long


def test_pad_batch_uses_the_pad_id_and_pads_to_the_batch_only():
    ids, mask = pad_batch([[7], [8, 9]], pad_id=3)
    assert ids.tolist() == [[7, 3], [8, 9]]
    assert ids.shape == mask.shape == (2, 2)


def _lengths(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(2, 60, size=n)


@pytest.mark.parametrize("group_by_length", [True, False])
@pytest.mark.parametrize(("n", "batch_size"), [(1, 4), (10, 3), (64, 16), (1000, 7), (3901, 16)])
def test_training_batches_cover_every_index_once(n, batch_size, group_by_length):
    batches = training_batches(_lengths(n), batch_size, np.random.default_rng(1), group_by_length)
    joined = np.concatenate(batches)
    assert sorted(joined.tolist()) == list(range(n))
    assert len(batches) == -(-n // batch_size)
    assert sorted(len(b) for b in batches)[1:] == [batch_size] * (len(batches) - 1)  # at most one short batch


@pytest.mark.parametrize("group_by_length", [True, False])
def test_staged_batches_finish_one_stage_before_the_next(group_by_length):
    lengths = _lengths(100)
    copies, originals = np.arange(30, 100), np.arange(30)
    batches = staged_batches(lengths, [copies, originals], 8, np.random.default_rng(2), group_by_length)
    assert sorted(np.concatenate(batches).tolist()) == list(range(100))
    stage = [0 if b.min() >= 30 else 1 for b in batches]
    assert stage == sorted(stage)  # every copy batch before the first original batch ...
    assert all(b.min() >= 30 or b.max() < 30 for b in batches)  # ... and no batch mixes them
    assert len(batches) == -(-70 // 8) + -(-30 // 8)


def test_training_batches_of_nothing():
    assert training_batches([], 8, np.random.default_rng(0)) == []


def test_group_by_length_puts_similar_lengths_together():
    lengths = _lengths(320)  # one group of 50 batches: batches are slices of one sorted order
    batches = training_batches(lengths, 16, np.random.default_rng(0), group_by_length=True)
    by_longest = sorted(batches, key=lambda b: -lengths[b].max())
    for longer, shorter in itertools.pairwise(by_longest):
        assert lengths[longer].min() >= lengths[shorter].max()
    # ... and pads far less than a plain shuffle.
    plain = training_batches(lengths, 16, np.random.default_rng(0), group_by_length=False)

    def padding(bs):
        return sum(int(lengths[b].max() * len(b) - lengths[b].sum()) for b in bs)

    assert padding(batches) < padding(plain) / 4


def test_group_by_length_groups_within_chunks():
    lengths = _lengths(2000)
    batch_size, group_size = 8, 5
    batches = training_batches(lengths, batch_size, np.random.default_rng(0), True, group_size=group_size)
    # Every batch is sorted longest first within a chunk of 40 messages; batch order is shuffled.
    for batch in batches:
        assert list(lengths[batch]) == sorted(lengths[batch], reverse=True)
    ordered = [b.tolist() for b in batches]
    assert ordered != sorted(ordered, key=lambda b: -lengths[b].max())


def test_training_batches_are_seeded_and_differ_per_epoch():
    lengths = _lengths(200)

    def epoch(rng):
        return [b.tolist() for b in training_batches(lengths, 16, rng)]

    a, b = np.random.default_rng(5), np.random.default_rng(5)
    first_a, first_b = epoch(a), epoch(b)
    assert first_a == first_b
    assert epoch(a) != first_a  # the next epoch draws a new order


def test_sorted_batches_longest_first():
    lengths = [3, 9, 1, 9, 5]
    batches = [b.tolist() for b in sorted_batches(lengths, 2)]
    assert batches == [[1, 3], [4, 0], [2]]


def test_sorted_batches_of_nothing():
    assert list(sorted_batches([], 4)) == []


def test_tokenize_adds_special_tokens_and_truncates(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tokenize(tokenizer, ["ok lar", "see you at home later tonight"], max_length=5)
    assert ids[0] == [tokenizer.cls_token_id, *tokenizer.convert_tokens_to_ids(["ok", "lar"]), tokenizer.sep_token_id]
    assert len(ids[1]) == 5 and ids[1][0] == tokenizer.cls_token_id and ids[1][-1] == tokenizer.sep_token_id


def test_an_augmented_epoch_ends_on_the_messages_as_written_only_when_asked():
    import pandas as pd

    from spamcore.model.config import recipe_defaults
    from spamcore.text.augment import augment_frame
    from spamcore.training.loop import _epoch_batches

    frame = pd.DataFrame({"text": [f"win a prize number {i} today" for i in range(40)], "label": [1, 0] * 20})
    train = augment_frame(frame, ["crop", "typos"], seed=0)
    lengths = train["text"].str.len().to_numpy()
    config = recipe_defaults("finetune", batch_size=8)
    shuffled = _epoch_batches(lengths, train, config, np.random.default_rng(0))
    staged = _epoch_batches(lengths, train, config.replace(originals_last=True), np.random.default_rng(0))
    last = np.concatenate(staged[-5:])
    assert sorted(last.tolist()) == list(range(40))  # the 40 originals fill the last five batches
    assert any(b.max() >= 40 and b.min() < 40 for b in shuffled)  # without it, copies and originals mix
