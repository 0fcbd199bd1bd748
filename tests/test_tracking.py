"""--report-to tensorboard: the per-step loss and per-epoch metrics the app shows, through Accelerate's tracker."""

from __future__ import annotations

import json

import pytest
from conftest import messages_frame

from spamcore.cli import main


def test_tensorboard_gets_every_step_and_epoch(tiny_model_dir, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    data = tmp_path / "data.csv"
    frame = messages_frame(4)
    frame.assign(label=frame["label"].map({0: "ham", 1: "spam"}))[["label", "text"]].to_csv(data, index=False)
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--model", str(tiny_model_dir), "--out", str(out), "--recipe",
                 "finetune", "--epochs", "2", "--batch-size", "8", "--augment", "none", "--extra-data", "none",
                 "--device", "cpu", "--report-to", "tensorboard"]) == 0
    events = list((out / "logs").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file written"
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "train/lr", "val/loss", "val/spam_f1"} <= tags
    history = json.loads((out / "history.json").read_text())
    logged = [e.value for e in acc.Scalars("train/loss")]
    assert len(logged) == len(history["steps"]) == 14
    assert logged == pytest.approx([s[1] for s in history["steps"]], rel=1e-5)
    assert [e.value for e in acc.Scalars("val/loss")] == pytest.approx([e["val_loss"] for e in history["epochs"]])


def test_report_to_a_tracker_that_is_not_installed_is_one_clear_line(tiny_model_dir, tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed here")
    assert main(["train", "--model", str(tiny_model_dir), "--out", str(tmp_path / "x"), "--report-to",
                 "wandb"]) == 2
    assert "needs the wandb package: pip install wandb" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
