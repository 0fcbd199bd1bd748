"""spamcore.runs: save → load round trips, pipeline loading, refusing broken runs, run names, listing."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import messages_frame

from spamcore.data.messages import split_dataset
from spamcore.errors import ConfigError, RunError
from spamcore.model.config import recipe_defaults
from spamcore.model.saved import load_classifier
from spamcore.runs.experiment import run_experiment
from spamcore.runs.layout import HEAD_FILE, MODEL_FILE, RUN_FILE, run_path
from spamcore.runs.store import list_runs, read_run, save_classifier, write_json
from spamcore.training.loop import train

PROBES = ["WINNER! Claim your free cash prize now", "See you at home later", "ok", "Txt WIN to 80086 " * 20]


def tiny_config(model_dir, recipe: str, **overrides):
    fast = {"frozen": dict(pooling="mean", lr=5e-3, batch_size=8, epochs=3),
            "finetune": dict(augment="", extra_data="", lr=5e-3, batch_size=8, epochs=2, warmup_ratio=0.0)}[recipe]
    return recipe_defaults(recipe, model=str(model_dir), device="cpu", precision="fp32", **{**fast, **overrides})


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory) -> dict[str, Path]:
    """One complete run per recipe on 80 hand-written messages (shared: tests copy before changing them)."""
    root = tmp_path_factory.mktemp("runs")
    data = messages_frame(4)
    return {recipe: run_experiment(tiny_config(tiny_model_dir, recipe), data, root / recipe).path
            for recipe in ("frozen", "finetune")}


@pytest.fixture()
def copy_run(runs, tmp_path):
    def copy(recipe: str) -> Path:
        return Path(shutil.copytree(runs[recipe], tmp_path / f"copy-{recipe}"))

    return copy


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_save_load_round_trip_gives_identical_predictions(tiny_model_dir, small_frame, tmp_path, recipe):
    config = tiny_config(tiny_model_dir, recipe)
    result = train(config, split_dataset(small_frame))
    run_dir = tmp_path / "run"
    save_classifier(result.classifier, run_dir)
    write_json(run_dir / RUN_FILE, {"config": config.to_dict(), "status": "complete"})
    loaded = load_classifier(run_dir, device="cpu")
    assert loaded.config == config
    np.testing.assert_allclose(loaded.predict_proba(PROBES), result.classifier.predict_proba(PROBES), rtol=0,
                               atol=1e-6)
    assert [p.label for p in loaded.predict(PROBES)] == [p.label for p in result.classifier.predict(PROBES)]


def test_a_run_saved_as_complete_reads_as_finished(tmp_path):
    """Runs written before 'finished' was the one word for it said 'complete'; they still load and list."""
    run_dir = tmp_path / "old"
    write_json(run_dir / RUN_FILE, {"config": recipe_defaults("frozen").to_dict(), "status": "complete"})
    assert read_run(run_dir).status == "finished"


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_run_experiment_then_load_reproduces_the_test_predictions(runs, recipe):
    saved = pd.read_csv(runs[recipe] / "test_predictions.csv")
    classifier = load_classifier(runs[recipe], device="cpu")
    np.testing.assert_allclose(classifier.predict_proba(list(saved["text"])), saved["spam_probability"],
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_run_folder_contents(runs, recipe):
    info = read_run(runs[recipe])
    weights = HEAD_FILE if recipe == "frozen" else MODEL_FILE
    names = {p.name for p in info.path.iterdir()}
    assert {RUN_FILE, "history.json", "metrics.json", "test_predictions.csv", "tokenizer_config.json",
            weights} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl", ".pth")) for n in names)  # no pickles
    assert info.status == "finished" and info.has_weights
    assert info.config.recipe == recipe
    assert info.meta["split_sizes"] == {"train": 56, "validation": 12, "test": 12}
    assert info.meta["labels"] == ["ham", "spam"]
    assert info.metrics["split_sizes"] == info.meta["split_sizes"] and info.metrics["n"] == 12
    assert sum(map(sum, info.metrics["confusion_matrix"])) == 12
    history = info.history()
    assert [e["epoch"] for e in history["epochs"]] == list(range(1, info.meta["epochs_run"] + 1))
    assert len(history["steps"]) == 7 * info.meta["epochs_run"]
    assert info.meta["best_epoch"] == 1 + int(np.argmin([e["val_loss"] for e in history["epochs"]]))


def test_pipeline_loads_a_finetune_run(runs):
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(runs["finetune"]), device="cpu")
    outputs = classify(PROBES[:3])
    assert {o["label"] for o in outputs} <= {"ham", "spam"}
    classifier = load_classifier(runs["finetune"], device="cpu")
    classifier.temperature = 1.0  # the pipeline gives the network's own probabilities, before calibration
    ours = classifier.predict_proba(PROBES[:3])
    spam = [o["score"] if o["label"] == "spam" else 1 - o["score"] for o in outputs]
    np.testing.assert_allclose(spam, ours, atol=1e-5)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_run_files_are_world_readable_and_no_temp_files_are_left(runs, recipe):
    for path in runs[recipe].iterdir():
        assert path.is_file(), path
        assert path.stat().st_mode & stat.S_IROTH, path
        assert not path.name.startswith(".") and not path.name.endswith(".tmp"), path


# ------------------------------------------------------------------------------------------ broken runs


def _load_error(run_dir: Path) -> str:
    with pytest.raises(RunError) as info:
        load_classifier(run_dir, device="cpu")
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_truncated_weights(copy_run, recipe):
    run_dir = copy_run(recipe)
    weights = run_dir / (HEAD_FILE if recipe == "frozen" else MODEL_FILE)
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    assert "truncated or corrupted" in _load_error(run_dir)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_garbage_weights(copy_run, recipe):
    run_dir = copy_run(recipe)
    (run_dir / (HEAD_FILE if recipe == "frozen" else MODEL_FILE)).write_bytes(b"\x80\x04not safetensors at all")
    assert "truncated or corrupted" in _load_error(run_dir)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_missing_weights(copy_run, recipe):
    run_dir = copy_run(recipe)
    (run_dir / (HEAD_FILE if recipe == "frozen" else MODEL_FILE)).unlink()
    message = _load_error(run_dir)
    assert "missing" in message and "copy-" in message


def test_missing_weights_of_a_running_run(copy_run):
    run_dir = copy_run("frozen")
    meta = json.loads((run_dir / RUN_FILE).read_text())
    write_json(run_dir / RUN_FILE, {**meta, "status": "running"})
    (run_dir / HEAD_FILE).unlink()
    assert "still training or was interrupted" in _load_error(run_dir)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{ not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "no 'config' section"),
        ('{"status": "complete"}', "no 'config' section"),
        ('{"config": {"epochs": 0}}', "invalid config"),
        ('{"config": {"recipe": "frozen", "learning_rate": 1}}', "invalid config"),
        ('{"config": {"hidden_units": "many"}}', "invalid config"),
    ],
)
def test_invalid_run_json(copy_run, content, expected):
    run_dir = copy_run("frozen")
    (run_dir / RUN_FILE).write_text(content)
    assert expected in _load_error(run_dir)


def test_missing_run_json(copy_run):
    run_dir = copy_run("finetune")
    (run_dir / RUN_FILE).unlink()
    assert "file missing" in _load_error(run_dir)


def test_missing_run_folder(tmp_path):
    assert "does not exist" in _load_error(tmp_path / "never-trained")


def test_head_from_another_architecture(copy_run):
    run_dir = copy_run("frozen")
    meta = json.loads((run_dir / RUN_FILE).read_text())
    meta["config"]["hidden_units"] = 64
    write_json(run_dir / RUN_FILE, meta)
    message = _load_error(run_dir)
    assert "another architecture" in message and "shape mismatch" in message


def test_finetune_model_from_another_architecture(copy_run):
    run_dir = copy_run("finetune")
    hf_config = json.loads((run_dir / "config.json").read_text())
    hf_config["intermediate_size"] = 40
    (run_dir / "config.json").write_text(json.dumps(hf_config))
    assert "another architecture" in _load_error(run_dir)


def test_finetune_model_with_three_labels(copy_run):
    run_dir = copy_run("finetune")
    hf_config = json.loads((run_dir / "config.json").read_text())
    hf_config["id2label"] = {"0": "a", "1": "b", "2": "c"}
    hf_config["label2id"] = {"a": 0, "b": 1, "c": 2}
    (run_dir / "config.json").write_text(json.dumps(hf_config))
    assert "2-label" in _load_error(run_dir)


def test_corrupted_finetune_config(copy_run):
    run_dir = copy_run("finetune")
    (run_dir / "config.json").write_text("{ broken")
    assert "config.json" in _load_error(run_dir)


def test_missing_tokenizer(copy_run):
    run_dir = copy_run("finetune")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (run_dir / name).unlink(missing_ok=True)
    assert "tokenizer" in _load_error(run_dir)


def test_frozen_run_whose_base_model_is_gone(tiny_model_dir, copy_run, tmp_path):
    run_dir = copy_run("frozen")
    meta = json.loads((run_dir / RUN_FILE).read_text())
    meta["config"]["model"] = str(tmp_path / "deleted-model")
    write_json(run_dir / RUN_FILE, meta)
    message = _load_error(run_dir)
    assert "needs its base model" in message and "does not exist" in message


# ------------------------------------------------------------------------------------ names and listing


@pytest.mark.parametrize("name", ["../x", "/abs", "", "..", "a/b", ".hidden", "x" * 81, "with space", "a\\b"])
def test_run_path_refuses_names_that_could_escape(tmp_path, name):
    with pytest.raises(ConfigError, match="not allowed"):
        run_path(tmp_path, name)


@pytest.mark.parametrize("name", ["run1", "2026-11-26_frozen", "my.run-2", "x" * 80])
def test_run_path_accepts_plain_names(tmp_path, name):
    assert run_path(tmp_path, name) == tmp_path / name


def test_list_runs_newest_first_and_skips_what_is_not_a_run(runs, tmp_path):
    root = tmp_path / "runs"
    for name, created in (("older", "2026-01-01T00:00:00+00:00"), ("newer", "2026-06-01T00:00:00+00:00")):
        shutil.copytree(runs["frozen"], root / name)
        meta = json.loads((root / name / RUN_FILE).read_text())
        write_json(root / name / RUN_FILE, {**meta, "created": created})
    (root / "not-a-run").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / RUN_FILE).write_text("{")
    shutil.copytree(runs["frozen"], root / ".staging-hidden")
    (root / "notes.txt").write_text("a file, not a run")
    assert [r.name for r in list_runs(root)] == ["newer", "older"]
    assert list_runs(tmp_path / "no-such-root") == []


def test_list_runs_uses_spamcore_runs_by_default(runs, tmp_path, monkeypatch):
    shutil.copytree(runs["finetune"], tmp_path / "only")
    monkeypatch.setenv("SPAMCORE_RUNS", str(tmp_path))
    assert [r.name for r in list_runs()] == ["only"]


def test_a_stop_before_the_first_step_says_nothing_was_trained(tiny_model_dir, small_frame, tmp_path):
    """Stop pressed while the model loads (or the frozen recipe encodes): the run's status says what it left."""
    import signal

    from spamcore.runs.layout import NOTHING_TRAINED
    from spamcore.runs.progress import ProgressReader
    from spamcore.runs.trainer import train_run

    def stop_at_the_first_event(event) -> None:
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # the trainer's handler: sets the stop flag

    config = recipe_defaults("frozen", model=str(tiny_model_dir), epochs=1, max_length=16)
    (tmp_path / "run").mkdir()  # as a job's folder is, before its trainer starts
    with pytest.raises(KeyboardInterrupt, match="nothing was trained"):
        train_run(config, small_frame, tmp_path / "run", data_name="small", on_event=stop_at_the_first_event)
    progress = ProgressReader(tmp_path / "run").read()  # what Train's live panel reads
    assert (progress.status, progress.error) == ("stopped", NOTHING_TRAINED)


def test_a_second_stop_aborts_as_a_stop_not_as_nothing_trained(tiny_model_dir, small_frame, tmp_path):
    """Two stops in a row (Ctrl-C twice): the trainer ends at once, and its status does not claim nothing was kept."""
    import signal

    from spamcore.runs.progress import ProgressReader
    from spamcore.runs.trainer import ABORTED, train_run
    from spamcore.training.loop import StepProgress

    def stop_twice_at_the_first_step(event) -> None:
        if isinstance(event, StepProgress):
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # first: stop after this step
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # second: at once

    config = recipe_defaults("finetune", model=str(tiny_model_dir), epochs=1, max_length=16, augment="",
                             extra_data="", precision="fp32", device="cpu")
    (tmp_path / "run").mkdir()
    with pytest.raises(KeyboardInterrupt) as raised:
        train_run(config, small_frame, tmp_path / "run", data_name="small", on_event=stop_twice_at_the_first_step)
    assert str(raised.value) == ""  # the CLI says "error: interrupted"
    progress = ProgressReader(tmp_path / "run").read()
    assert (progress.status, progress.error) == ("stopped", ABORTED)


def test_one_stop_seen_first_by_the_marker_watcher_is_a_stop_not_an_abort(tiny_model_dir, small_frame, tmp_path):
    """Stop writes the marker, then signals. When the trainer's watcher sees the marker before the signal handler
    runs (it waits for the main thread to leave a torch call), that one press still stops after the step and keeps
    the run: a CI run once lost a stopped run's run.json to this race."""
    import signal
    import time

    from spamcore.runs.layout import STOP_FILE
    from spamcore.runs.store import read_run
    from spamcore.runs.trainer import train_run
    from spamcore.training.loop import StepProgress

    run = tmp_path / "run"

    def stop_as_the_train_page_does(event) -> None:
        if isinstance(event, StepProgress) and not (run / STOP_FILE).exists():
            (run / STOP_FILE).write_text("1\n")
            time.sleep(1.5)  # the watcher polls once a second: it has seen the marker and set the stop
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # then the signal arrives

    config = recipe_defaults("finetune", model=str(tiny_model_dir), epochs=3, max_length=16, augment="",
                             extra_data="", precision="fp32", device="cpu")
    run.mkdir()
    train_run(config, small_frame, run, data_name="small", on_event=stop_as_the_train_page_does)
    assert read_run(run).status == "stopped"
