"""spamcore.runs.experiment: a whole run on disk, stopped runs keep their best checkpoint, failures are recorded."""

from __future__ import annotations

import threading

import pytest
from conftest import messages_frame

from spamcore.errors import ConfigError, ModelLoadError
from spamcore.model.config import recipe_defaults
from spamcore.model.saved import load_classifier
from spamcore.runs.experiment import data_fingerprint, run_experiment
from spamcore.runs.layout import HEAD_FILE
from spamcore.runs.store import read_run
from spamcore.training.loop import StepProgress


def tiny_frozen(model_dir, **overrides):
    values = dict(model=str(model_dir), device="cpu", precision="fp32", pooling="mean", lr=5e-3, batch_size=8,
                  epochs=3)
    return recipe_defaults("frozen", **{**values, **overrides})


def test_stopped_run_keeps_its_best_checkpoint(tiny_model_dir, small_frame, tmp_path):
    stop = threading.Event()

    def listen(event):
        if isinstance(event, StepProgress) and event.global_step == 9:
            stop.set()

    info = run_experiment(tiny_frozen(tiny_model_dir, epochs=10), small_frame, tmp_path / "run", callback=listen,
                          stop=stop)
    assert info.status == "stopped"
    assert info.meta["epochs_run"] == 1 and info.meta["best_epoch"] == 1  # the stop came in epoch 2
    assert (info.path / HEAD_FILE).is_file() and info.metrics["n"] == 12
    classifier = load_classifier(info.path, device="cpu")
    assert classifier.predict_proba(["see you at home"]).shape == (1,)


def test_refuses_a_folder_that_is_not_empty(tiny_model_dir, small_frame, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already exists and is not empty"):
        run_experiment(tiny_frozen(tiny_model_dir), small_frame, tmp_path / "run")
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["keep.txt"]


def test_accepts_an_existing_empty_folder(tiny_model_dir, small_frame, tmp_path):
    (tmp_path / "run").mkdir()
    assert run_experiment(tiny_frozen(tiny_model_dir, epochs=1), small_frame, tmp_path / "run").status == "finished"


def test_a_bad_model_leaves_no_run_folder(small_frame, tmp_path):
    config = tiny_frozen(tmp_path / "no-such-model")
    with pytest.raises(ModelLoadError, match="does not exist"):
        run_experiment(config, small_frame, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_max_rows_samples_before_splitting(tiny_model_dir, tmp_path):
    data = messages_frame(10)  # 200 messages
    info = run_experiment(tiny_frozen(tiny_model_dir, epochs=1, max_rows=100), data, tmp_path / "run",
                          data_name="hand-written")
    assert info.meta["data"]["rows"] == 100 and info.meta["data"]["rows_available"] == 200
    assert info.meta["data"]["name"] == "hand-written"
    assert info.meta["split_sizes"] == {"train": 70, "validation": 15, "test": 15}


def test_run_json_records_what_decides_the_run(tiny_model_dir, small_frame, tmp_path):
    config = tiny_frozen(tiny_model_dir, epochs=2)
    info = read_run(run_experiment(config, small_frame, tmp_path / "run").path)
    assert info.config == config
    assert info.meta["data"]["sha256"] == data_fingerprint(small_frame)
    assert info.meta["epochs_run"] == 2 and info.meta["device"] == "cpu"
    assert info.meta["finished"] >= info.meta["created"]
    assert info.meta["trainable_parameters"] < info.meta["total_parameters"]


def test_data_fingerprint_tells_data_apart():
    frame = messages_frame(1)
    assert data_fingerprint(frame) == data_fingerprint(frame.copy())
    assert data_fingerprint(frame) != data_fingerprint(frame.assign(label=1 - frame["label"]))
    assert data_fingerprint(frame) != data_fingerprint(frame.iloc[::-1])
