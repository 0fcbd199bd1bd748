"""spamcore.training.sampler:
perturbations drawn afresh per read — every augmentation drawn over a pass, labels kept, seeded,
ham-only perturbations never on spam, and nothing perturbed outside the training split."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spamcore.model.config import recipe_defaults
from spamcore.text.augment import AUGMENTATIONS, HAM_ONLY
from spamcore.training.loop import fresh_sampler, training_frame
from spamcore.training.sampler import PerturbationSampler
from tests.conftest import messages_frame


def _frame(repeat: int = 20) -> pd.DataFrame:
    return messages_frame(repeat)[["text", "label"]].reset_index(drop=True)


def test_a_pass_reads_every_row_once_with_its_label_and_draws_every_augmentation():
    frame = _frame()
    sampler = PerturbationSampler(frame, AUGMENTATIONS, share=0.6, seed=42)
    seen: set[str] = set()
    for epoch in (1, 2, 3):
        out = sampler.epoch(epoch)
        assert len(out) == len(frame)
        assert out["label"].tolist() == frame["label"].tolist()
        as_written = out["augmentation"] == ""
        assert (out.loc[as_written, "text"] == frame.loc[as_written, "text"]).all()
        assert (out.loc[~as_written, "text"] != frame.loc[~as_written, "text"]).all()
        assert 0.3 < (~as_written).mean() < 0.75  # about the share asked for (a no-op draw reads as written)
        seen |= set(out["augmentation"])
    assert seen - {""} == set(AUGMENTATIONS)


def test_ham_only_perturbations_never_touch_spam():
    frame = _frame()
    out = PerturbationSampler(frame, AUGMENTATIONS, share=1.0, seed=0).epoch(1)
    assert not set(out.loc[out["label"] == 1, "augmentation"]) & HAM_ONLY


def test_draws_are_fixed_by_the_seed_and_the_pass_and_differ_between_passes():
    frame = _frame()
    one = PerturbationSampler(frame, AUGMENTATIONS, share=0.5, seed=7)
    two = PerturbationSampler(frame, AUGMENTATIONS, share=0.5, seed=7)
    assert one.epoch(1).equals(two.epoch(1))
    assert not one.epoch(1)["text"].equals(one.epoch(2)["text"])
    assert not one.epoch(1)["text"].equals(PerturbationSampler(frame, AUGMENTATIONS, 0.5, seed=8).epoch(1)["text"])


def test_share_zero_reads_as_written_and_weights_choose_what_is_drawn():
    frame = _frame()
    assert (PerturbationSampler(frame, AUGMENTATIONS, 0.0, seed=1).epoch(1)["augmentation"] == "").all()
    only_chat = PerturbationSampler(frame, AUGMENTATIONS, 1.0, seed=1, weights={n: float(n == "chat")
                                                                                 for n in AUGMENTATIONS})
    assert set(only_chat.epoch(1)["augmentation"]) <= {"chat", ""}


def test_the_default_finetune_reads_through_the_sampler_and_makes_no_copies(tmp_path):
    config = recipe_defaults("finetune", extra_data="")
    assert config.perturb_share is not None and config.augment
    train = _frame()
    assert len(training_frame(train, config)) == len(train)  # no copies: a pass reads the split's size
    assert fresh_sampler(train, config) is not None
    copies = config.replace(perturb_share=None)  # the recipe before issue 31: a fixed copy per augmentation
    assert len(training_frame(train, copies)) > 3 * len(train) and fresh_sampler(train, copies) is None
    assert fresh_sampler(train, config.replace(augment="")) is None


def test_training_perturbs_the_training_split_only(tiny_model_dir, monkeypatch):
    """What the model reads in each pass: validation is read as written; training rows are the sampler's."""
    from spamcore.data.messages import split_dataset
    from spamcore.model.recipes import finetune
    from spamcore.training.loop import train

    split = split_dataset(messages_frame(6))
    reads: list[list[str]] = []
    tasks = []
    original = finetune.Task.read

    def spy(self, texts):
        reads.append(list(texts))
        tasks.append(self)
        original(self, texts)

    monkeypatch.setattr(finetune.Task, "read", spy)
    config = recipe_defaults("finetune", model=str(tiny_model_dir), extra_data="", epochs=2, batch_size=8,
                             max_length=24)
    train(config, split)
    assert len(reads) == 3  # the split as written when the task is built, then one read per pass
    assert reads[0] == list(split.train["text"])
    assert reads[1] != reads[0] and reads[2] != reads[1]
    assert all(len(r) == len(split.train) for r in reads)
    sampler = fresh_sampler(split.train, config)
    assert list(sampler.epoch(1)["text"]) == reads[1]
    # Validation is read as written: the sampler never reaches it (nor the test split, which train() never sees).
    from spamcore.model.batching import tokenize

    task = tasks[-1]
    assert task.val_ids == tokenize(task.tokenizer, list(split.validation["text"]), config.max_length)


def test_the_frozen_recipe_reads_each_pass_through_the_sampler_too(tiny_model_dir):
    from spamcore.data.messages import split_dataset
    from spamcore.training.loop import train

    split = split_dataset(messages_frame(6))
    config = recipe_defaults("frozen", model=str(tiny_model_dir), augment="crop,chat", perturb_share=0.5, epochs=2)
    result = train(config, split)
    assert len(result.history) == 2
    assert dataclasses.asdict(result.history[-1])["val_loss"] == pytest.approx(result.history[-1].val_loss)
    assert np.isfinite(result.history[-1].train_loss)
