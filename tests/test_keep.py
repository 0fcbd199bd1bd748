"""Keeping what a model knew while it learns something new (``distil_from``): the soft-label loss on known answers,
the targets a saved run gives, and a retrain that uses them end to end (Learning without Forgetting)."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import messages_frame
from test_app import tiny_config, tiny_run  # noqa: F401 (fixture)

from spamcore.errors import ConfigError
from spamcore.model.config import TrainConfig
from spamcore.training.loop import kept_loss, soft_targets


def test_the_kept_loss_is_smallest_at_the_teachers_own_prediction_and_skips_rows_without_targets():
    soft = torch.tensor([[0.2, 0.8], [float("nan"), float("nan")]])
    teacher_logits = torch.tensor([[0.0, math.log(4.0)], [5.0, -5.0]])  # softmax → 0.2 / 0.8 on the first row
    at_teacher = kept_loss(teacher_logits, soft, temperature=1.0)
    entropy = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8))
    assert float(at_teacher) == pytest.approx(entropy, abs=1e-5)  # the second row (no target) adds nothing
    assert float(kept_loss(torch.tensor([[2.0, -2.0], [0.0, 0.0]]), soft, 1.0)) > float(at_teacher)
    none = torch.full((2, 2), float("nan"))
    logits = torch.zeros(2, 2, requires_grad=True)
    zero = kept_loss(logits, none, 2.0)
    zero.backward()  # a batch without targets still backpropagates (a zero)
    assert float(zero) == 0.0 and float(logits.grad.abs().sum()) == 0.0
    # T² keeps the size: at T = 2 the same gap weighs about as much as at T = 1 (Hinton et al. 2015).
    assert float(kept_loss(torch.tensor([[0.0, 0.0]]), soft[:1], 2.0)) > 0


def test_distil_settings_are_checked():
    with pytest.raises(ConfigError, match="distil_temperature"):
        TrainConfig(distil_temperature=0)
    with pytest.raises(ConfigError, match="distil_weight"):
        TrainConfig(distil_weight=-1)
    assert TrainConfig().distil_from == ""  # runs saved before issue 33 kept nothing


def test_a_saved_run_gives_targets_on_the_training_split_only(tiny_run):  # noqa: F811
    run = tiny_run / "tiny-finetune"
    config = TrainConfig(distil_from=str(run), distil_temperature=2.0)
    targets = soft_targets(config, messages_frame(1)["text"].iloc[:5], rows=8)
    assert targets.shape == (8, 2)
    assert not torch.isnan(targets[:5]).any() and torch.isnan(targets[5:]).all()  # extra rows: nothing to keep
    assert torch.allclose(targets[:5].sum(1), torch.ones(5))
    assert soft_targets(config.replace(distil_weight=0.0), messages_frame(1)["text"], 3) is None
    assert soft_targets(TrainConfig(), messages_frame(1)["text"], 3) is None


def test_a_retrain_that_keeps_the_attacked_runs_predictions_trains_end_to_end(tiny_run, tmp_path):  # noqa: F811
    from spamcore.data.messages import write_messages
    from spamcore.model.saved import load_classifier
    from spamcore.runs.experiment import run_experiment

    run = tiny_run / "tiny-finetune"
    class_file = write_messages(messages_frame(1).head(6), tmp_path / "class-round-1.tsv")
    config = tiny_config(run, extra_data=str(class_file), distil_from=str(run), augment="crop,chat",
                         perturb_share=0.5, epochs=2)
    info = run_experiment(config, messages_frame(3), tmp_path / "retrained", data_name="replay")
    assert info.status == "finished" and info.config.distil_from == str(run)
    assert load_classifier(info.path).predict(["free prize now"])[0].verdict in ("spam", "ham", "unsure")
