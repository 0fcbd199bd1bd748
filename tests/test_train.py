"""spamcore.training.loop
on a tiny random BERT: both recipes learn, stop flag, determinism, progress records, best epoch."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch

from spamcore.data.messages import Split, split_dataset
from spamcore.errors import ConfigError
from spamcore.model import features
from spamcore.model.config import recipe_defaults
from spamcore.model.loading import load_encoder
from spamcore.training.loop import EpochRecord, StageProgress, StepProgress, train

# Settings that make the tiny model learn in a few dozen steps. The frozen recipe uses mean pooling: the pooled
# [CLS] output of a *random* BERT is nearly the same vector for every message (tanh of tiny values), so a head
# on it has nothing to learn from; the real MiniLM has a trained pooler.
FAST = {
    "frozen": dict(pooling="mean", lr=5e-3, batch_size=8, epochs=20),
    # A random tiny BERT's word embeddings mean nothing yet, so these tests let it learn them.
    "finetune": dict(augment="", extra_data="", lr=5e-3, batch_size=4, epochs=8, warmup_ratio=0.0,
                     freeze_embeddings=False),
}


def tiny_config(model_dir, recipe: str, **overrides):
    return recipe_defaults(recipe, model=str(model_dir), device="cpu", precision="fp32",
                           **{**FAST[recipe], **overrides})


@pytest.fixture()
def handful() -> pd.DataFrame:
    """16 hand-written messages, 8 ham and 8 spam."""
    from conftest import HAM, SPAM

    return pd.DataFrame({"text": HAM[:8] + SPAM, "label": [0] * 8 + [1] * 8})


def _accuracy(classifier, frame: pd.DataFrame) -> float:
    probs = classifier.predict_proba(list(frame["text"]))
    return float(((probs >= 0.5).astype(int) == frame["label"].to_numpy()).mean())


def _step_losses(events) -> list[float]:
    return [e.loss for e in events if isinstance(e, StepProgress)]


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_overfits_a_handful_of_rows(tiny_model_dir, handful, recipe):
    result = train(tiny_config(tiny_model_dir, recipe), Split(handful, handful, handful))
    losses = [r.train_loss for r in result.history]
    assert losses[0] > 0.6  # about ln 2: the random model knows nothing
    assert losses[-1] < 0.25 * losses[0]
    assert result.history[-1].val_loss < 0.3
    assert _accuracy(result.classifier, handful) == 1.0
    assert not result.stopped and not result.early_stopped
    assert result.device == "cpu" and result.bf16 is False


def test_frozen_trains_only_the_head(tiny_model_dir, handful):
    result = train(tiny_config(tiny_model_dir, "frozen", epochs=1, hidden_units=16), Split(handful, handful, handful))
    head = 32 * 16 + 16 + 16 * 2 + 2
    encoder = sum(p.numel() for p in load_encoder(str(tiny_model_dir)).parameters())
    assert (result.trainable_parameters, result.total_parameters) == (head, encoder + head)


def test_finetune_trains_every_weight(tiny_model_dir, handful):
    result = train(tiny_config(tiny_model_dir, "finetune", epochs=1), Split(handful, handful, handful))
    assert result.trainable_parameters == result.total_parameters


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_stop_flag_is_honoured(tiny_model_dir, small_frame, recipe):
    split = split_dataset(small_frame)  # 56 training messages: 7 steps of 8 per epoch
    stop = threading.Event()
    events, checkpoints = [], []

    def listen(event):
        events.append(event)
        if isinstance(event, StepProgress) and event.global_step == 10:
            stop.set()

    config = tiny_config(tiny_model_dir, recipe, epochs=5, batch_size=8)
    result = train(config, split, callback=listen, stop=stop, on_best=lambda c, r: checkpoints.append(r))
    steps = [e for e in events if isinstance(e, StepProgress)]
    assert len(steps) == 10 and (steps[-1].epoch, steps[-1].step) == (2, 3)
    assert result.stopped and not result.early_stopped
    # The stop came in epoch 2: the best finished epoch is kept and the partial one is not validated (so that a
    # stop on a large data set ends in seconds).
    assert [r.epoch for r in result.history] == [1]
    assert [r.partial for r in result.history] == [False]
    assert checkpoints and checkpoints[-1].epoch == result.best_epoch  # a best checkpoint was handed out
    assert result.classifier.predict_proba(["see you later"]).shape == (1,)


def test_a_stop_in_the_first_epoch_validates_a_sample_and_keeps_that_checkpoint(tiny_model_dir, small_frame,
                                                                                 monkeypatch):
    from spamcore.training import loop as train_module

    monkeypatch.setattr(train_module, "STOP_VALIDATION_LIMIT", 5)
    split = split_dataset(small_frame)
    stop = threading.Event()

    def listen(event):
        if isinstance(event, StepProgress) and event.global_step == 3:
            stop.set()

    result = train(tiny_config(tiny_model_dir, "finetune", epochs=5, batch_size=8), split, callback=listen,
                   stop=stop)
    assert result.stopped and [r.partial for r in result.history] == [True]
    assert result.best_epoch == 1 and result.classifier.predict_proba(["hi"]).shape == (1,)


def test_stop_at_an_epoch_boundary(tiny_model_dir, small_frame):
    split = split_dataset(small_frame)
    stop = threading.Event()

    def listen(event):
        if isinstance(event, EpochRecord):
            stop.set()

    result = train(tiny_config(tiny_model_dir, "frozen", epochs=5, batch_size=8), split, callback=listen, stop=stop)
    assert result.stopped
    assert [(r.epoch, r.partial) for r in result.history] == [(1, False)]


def test_stop_before_the_first_step_keeps_nothing(tiny_model_dir, handful):
    stop = threading.Event()
    stop.set()
    with pytest.raises(RuntimeError, match="stopped before the first step"):
        train(tiny_config(tiny_model_dir, "frozen"), Split(handful, handful, handful), stop=stop)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_deterministic_for_a_seed(tiny_model_dir, small_frame, recipe):
    split = split_dataset(small_frame)
    config = tiny_config(tiny_model_dir, recipe, epochs=2, batch_size=8)
    runs = []
    for seed in (3, 3, 4):
        events: list = []
        result = train(config.replace(seed=seed), split, callback=events.append)
        runs.append((_step_losses(events), [r.val_loss for r in result.history],
                     result.classifier.predict_proba(list(split.test["text"]))))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    assert runs[0][0] != runs[2][0]  # the seed matters


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_progress_records_in_order(tiny_model_dir, small_frame, recipe):
    features.clear_memory_cache()  # so that the frozen recipe encodes and reports it
    split = split_dataset(small_frame)
    events: list = []
    config = tiny_config(tiny_model_dir, recipe, epochs=3, batch_size=16)
    result = train(config, split, callback=events.append)

    assert events[0] == StageProgress("loading", 0, 1, events[0].elapsed)
    loaded = next(i for i, e in enumerate(events) if isinstance(e, StageProgress) and e.done == 1 and
                  e.stage == "loading")
    first_step = next(i for i, e in enumerate(events) if isinstance(e, StepProgress))
    assert loaded < first_step
    assert all(isinstance(e, StageProgress) for e in events[:first_step])
    encoding = [e for e in events[:first_step] if e.stage == "encoding"]
    if recipe == "frozen":
        assert encoding[-1].done == encoding[-1].total == len(split.train) + len(split.validation)
        assert [e.done for e in encoding] == sorted(e.done for e in encoding)
    else:
        assert encoding == []

    steps_per_epoch = 4  # ceil(56 / 16)
    later = events[first_step:]
    assert [type(e).__name__ for e in later] == (["StepProgress"] * steps_per_epoch + ["EpochRecord"]) * 3
    steps = [e for e in later if isinstance(e, StepProgress)]
    assert [(e.epoch, e.step) for e in steps] == [(ep, s) for ep in (1, 2, 3) for s in range(1, 5)]
    assert [e.global_step for e in steps] == list(range(1, 13))
    assert {(e.steps_per_epoch, e.total_steps) for e in steps} == {(4, 12)}
    elapsed = [e.elapsed for e in events if not isinstance(e, EpochRecord)]
    assert elapsed == sorted(elapsed)
    records = [e for e in later if isinstance(e, EpochRecord)]
    assert records == result.history
    for epoch, record in enumerate(records, start=1):
        losses = [e.loss for e in steps if e.epoch == epoch]
        running = [e.running_loss for e in steps if e.epoch == epoch]
        np.testing.assert_allclose(running, np.cumsum(losses) / np.arange(1, 5))
        assert record.epoch == epoch and record.train_loss == pytest.approx(np.mean(losses))
        assert 0.0 <= record.val_accuracy <= 1.0 and record.seconds > 0


def test_progress_records_are_immutable(tiny_model_dir, handful):
    events: list = []
    train(tiny_config(tiny_model_dir, "frozen", epochs=1), Split(handful, handful, handful), callback=events.append)
    for event in events:
        with pytest.raises(AttributeError):
            event.elapsed = 0.0


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_best_epoch_is_the_lowest_validation_loss(tiny_model_dir, handful, recipe):
    # Validation labels are the training labels flipped: the better the model fits, the worse it validates.
    flipped = handful.assign(label=1 - handful["label"])
    best: list = []
    config = tiny_config(tiny_model_dir, recipe, epochs=6)
    result = train(config, Split(handful, flipped, handful), on_best=lambda c, r: best.append((c, r)))
    val_losses = [r.val_loss for r in result.history]
    assert len(result.history) == 6
    assert result.best_epoch == 1 + int(np.argmin(val_losses))
    assert [r.is_best for r in result.history] == [v < min(val_losses[:i], default=np.inf)
                                                    for i, v in enumerate(val_losses)]
    # The classifier returned holds the best epoch's weights, not the last epoch's.
    best_classifier, best_record = best[-1]
    assert best_record.epoch == result.best_epoch
    texts = list(handful["text"])
    np.testing.assert_allclose(result.classifier.predict_proba(texts), best_classifier.predict_proba(texts))
    # ... and gives back that epoch's validation loss (8 ham / 8 spam: class weights are 1).
    probs = torch.tensor(result.classifier.predict_proba(texts))
    val_loss = torch.nn.functional.nll_loss(torch.log(torch.stack([1 - probs, probs], 1)),
                                            torch.tensor(flipped["label"].to_numpy()))
    assert float(val_loss) == pytest.approx(result.history[result.best_epoch - 1].val_loss, abs=1e-4)


def test_frozen_best_epoch_is_the_first_when_validation_only_gets_worse(tiny_model_dir, handful):
    flipped = handful.assign(label=1 - handful["label"])
    result = train(tiny_config(tiny_model_dir, "frozen", epochs=6), Split(handful, flipped, handful))
    assert result.best_epoch == 1 and len(result.history) == 6


def test_patience_stops_early(tiny_model_dir, handful):
    flipped = handful.assign(label=1 - handful["label"])
    config = tiny_config(tiny_model_dir, "frozen", epochs=20, patience=2)
    result = train(config, Split(handful, flipped, handful))
    assert result.early_stopped and not result.stopped
    assert result.best_epoch == 1
    assert len(result.history) == result.best_epoch + 2


def test_patience_does_not_stop_while_improving(tiny_model_dir, handful):
    result = train(tiny_config(tiny_model_dir, "frozen", epochs=6, patience=2), Split(handful, handful, handful))
    assert not result.early_stopped and len(result.history) == 6


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_max_length_above_the_model_limit(tiny_model_dir, handful, recipe):
    with pytest.raises(ConfigError, match="above this model's limit of 128"):
        train(tiny_config(tiny_model_dir, recipe, max_length=200), Split(handful, handful, handful))


def test_class_weighted_loss_uses_the_balanced_weights(tiny_model_dir, small_frame):
    """The same first step (same init, batch and dropout) gives another loss when classes are weighted."""
    split = split_dataset(small_frame)  # 48 ham / 32 spam overall: weights differ from 1
    losses = {}
    for weighted in (True, False):
        events: list = []
        config = tiny_config(tiny_model_dir, "frozen", epochs=1, batch_size=56, class_weighted=weighted)
        train(config, split, callback=events.append)
        losses[weighted] = _step_losses(events)[0]
    assert losses[True] != pytest.approx(losses[False], abs=1e-6)


def test_freeze_embeddings_keeps_the_word_embeddings_fixed(tiny_model_dir, handful):
    from transformers import AutoModel

    before = AutoModel.from_pretrained(str(tiny_model_dir)).get_input_embeddings().weight.detach().clone()
    frozen = train(tiny_config(tiny_model_dir, "finetune", epochs=2, freeze_embeddings=True),
                   Split(handful, handful, handful))
    free = train(tiny_config(tiny_model_dir, "finetune", epochs=2), Split(handful, handful, handful))
    hf = frozen.classifier.module.hf
    torch.testing.assert_close(hf.get_input_embeddings().weight, before)
    assert free.trainable_parameters - frozen.trainable_parameters == before.numel()
    assert not torch.equal(free.classifier.module.hf.get_input_embeddings().weight, before)


def test_encoder_dropout_sets_every_dropout_layer(tiny_model_dir, handful):
    result = train(tiny_config(tiny_model_dir, "finetune", epochs=1, encoder_dropout=0.0),
                   Split(handful, handful, handful))
    rates = {m.p for m in result.classifier.module.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.0}
    default = train(tiny_config(tiny_model_dir, "finetune", epochs=1), Split(handful, handful, handful))
    assert {m.p for m in default.classifier.module.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}
