"""spamcore.runs additions: a run's chosen threshold, the history table, safe deletion, zip download, pipeline code."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import messages_frame

from spamcore.errors import ConfigError, RunError
from spamcore.model.config import recipe_defaults
from spamcore.runs.experiment import run_experiment
from spamcore.runs.layout import RUN_FILE
from spamcore.runs.store import (
    delete_run,
    list_runs,
    load_classifier,
    pipeline_snippet,
    read_run,
    run_table,
    set_threshold,
    write_json,
    zip_run,
)

PROBES = ["WINNER! Claim your free cash prize now", "See you at home later"]


@pytest.fixture(scope="module")
def runs_root(tiny_model_dir, tmp_path_factory) -> Path:
    """A runs folder with one finished run per recipe (tests copy it before changing anything)."""
    root = tmp_path_factory.mktemp("runs-extra")
    common = dict(model=str(tiny_model_dir), device="cpu", precision="fp32", lr=5e-3, batch_size=8, epochs=1)
    run_experiment(recipe_defaults("frozen", pooling="mean", **common), messages_frame(4), root / "a-frozen")
    finetune = recipe_defaults("finetune", augment="", extra_data="", warmup_ratio=0.0, **common)
    run_experiment(finetune, messages_frame(4), root / "b-finetune")
    return root


@pytest.fixture()
def root(runs_root, tmp_path) -> Path:
    return Path(shutil.copytree(runs_root, tmp_path / "runs"))


# ------------------------------------------------------------------------------------------- threshold


def test_a_set_threshold_is_stored_and_applied_by_load_classifier(root):
    run = root / "b-finetune"
    before = read_run(run)
    assert before.threshold == 0.5 and load_classifier(run, device="cpu").threshold == 0.5
    info = set_threshold(run, 0.8)
    assert info.threshold == 0.8 and json.loads((run / RUN_FILE).read_text())["threshold"] == 0.8
    assert {k: v for k, v in info.meta.items() if k != "threshold"} == before.meta  # nothing else changed
    classifier = load_classifier(run, device="cpu")
    assert classifier.threshold == 0.8
    probability = classifier.predict_proba(PROBES[:1])[0]
    set_threshold(run, float(probability))  # at the threshold: spam ...
    assert load_classifier(run, device="cpu").predict(PROBES[:1])[0].label == "spam"
    set_threshold(run, min(1.0, float(probability) + 1e-6))  # ... just above it: ham
    assert load_classifier(run, device="cpu").predict(PROBES[:1])[0].label == "ham"
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # atomic write left no temp file


@pytest.mark.parametrize("bad", [-0.1, 1.01, float("nan"), "high"])
def test_a_bad_threshold_is_refused_and_nothing_is_written(root, bad):
    run = root / "a-frozen"
    before = (run / RUN_FILE).read_bytes()
    with pytest.raises(ConfigError, match="threshold"):
        set_threshold(run, bad)
    assert (run / RUN_FILE).read_bytes() == before


def test_a_running_run_keeps_its_threshold_unset(root):
    run = root / "a-frozen"
    write_json(run / RUN_FILE, {**read_run(run).meta, "status": "running"})
    with pytest.raises(RunError, match="still training"):
        set_threshold(run, 0.7)


def test_a_corrupted_threshold_is_a_run_error(root):
    run = root / "a-frozen"
    write_json(run / RUN_FILE, {**read_run(run).meta, "threshold": 7})
    with pytest.raises(RunError, match="invalid threshold"):
        load_classifier(run, device="cpu")


# -------------------------------------------------------------------------------------------- the table


def test_run_table_has_one_row_per_run(root):
    set_threshold(root / "a-frozen", 0.3)
    table = run_table(list_runs(root))
    assert sorted(table["run"]) == ["a-frozen", "b-finetune"]
    row = table.set_index("run").loc["b-finetune"]
    info = read_run(root / "b-finetune")
    assert row["recipe"] == "finetune" and row["model"] == info.config.model
    assert row["epochs"] == 1 and row["seconds"] == info.meta["seconds"]
    assert row["test spam F1"] == info.metrics["classes"]["spam"]["f1"]
    assert row["baseline spam F1"] == info.metrics["baseline"]["classes"]["spam"]["f1"]
    assert row["trainable parameters"] == info.meta["trainable_parameters"]
    assert row["created"].year >= 2025
    assert table.set_index("run").loc["a-frozen", "threshold"] == 0.3
    frozen, finetune = (table.set_index("run").loc[n, "trainable parameters"] for n in ("a-frozen", "b-finetune"))
    assert frozen < finetune  # the frozen recipe trains only its head


def test_run_table_of_no_runs_and_of_a_stopped_run(root, tmp_path):
    assert run_table([]).empty and "test spam F1" in run_table([]).columns
    run = root / "a-frozen"
    (run / "metrics.json").unlink()
    row = run_table([read_run(run)]).iloc[0]
    assert np.isnan(row["test spam F1"]) and np.isnan(row["test accuracy"])


# ------------------------------------------------------------------------------------------- deleting


def test_delete_run_removes_only_that_run(root):
    delete_run(root, "a-frozen")
    assert sorted(p.name for p in root.iterdir()) == ["b-finetune"]
    assert [r.name for r in list_runs(root)] == ["b-finetune"]


@pytest.mark.parametrize("name", ["../b-finetune", "..", "", "/etc", "a/../../x", ".hidden"])
def test_delete_run_refuses_names_that_leave_the_root(root, name):
    with pytest.raises(ConfigError, match="not allowed"):
        delete_run(root, name)
    assert sorted(p.name for p in root.iterdir()) == ["a-frozen", "b-finetune"]


def test_delete_run_refuses_what_is_not_a_run(root, tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        delete_run(root, "nothing-here")
    (root / "notes").mkdir()
    (root / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(RunError, match="not a spamcore run"):
        delete_run(root, "notes")
    outside = Path(shutil.copytree(root / "a-frozen", tmp_path / "elsewhere"))
    os.symlink(outside, root / "linked")
    with pytest.raises(RunError, match="link"):
        delete_run(root, "linked")
    assert (root / "notes" / "keep.txt").is_file() and (outside / RUN_FILE).is_file()


def test_delete_run_refuses_a_running_run_unless_forced(root):
    run = root / "a-frozen"
    write_json(run / RUN_FILE, {**read_run(run).meta, "status": "running"})
    with pytest.raises(RunError, match="still training"):
        delete_run(root, "a-frozen")
    delete_run(root, "a-frozen", force=True)
    assert not run.exists()


def test_a_corrupted_run_can_be_deleted(root):
    (root / "a-frozen" / RUN_FILE).write_text("{not json")
    delete_run(root, "a-frozen")
    assert not (root / "a-frozen").exists()
    assert not any(p.name.startswith(".deleting") for p in root.iterdir())


# ---------------------------------------------------------------------------------------------- zip


@pytest.mark.parametrize("name", ["a-frozen", "b-finetune"])
def test_zip_round_trip_loads_the_same_classifier(root, tmp_path, name):
    run = root / name
    (run / ".staging-x").mkdir()
    (run / ".staging-x" / "junk").write_text("x")
    (run / ".run.json.123.tmp").write_text("x")
    data = zip_run(run)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert all(n.startswith(f"{name}/") for n in names)
        assert sorted(n.split("/", 1)[1] for n in names) == sorted(
            p.name for p in run.iterdir() if p.is_file() and not p.name.startswith("."))
        weights = next(i for i in archive.infolist() if i.filename.endswith(".safetensors"))
        assert weights.compress_type == zipfile.ZIP_STORED
        archive.extractall(tmp_path / "unzipped")
    original = load_classifier(run, device="cpu").predict_proba(PROBES)
    restored = load_classifier(tmp_path / "unzipped" / name, device="cpu").predict_proba(PROBES)
    np.testing.assert_allclose(restored, original, atol=1e-6)


def test_zip_of_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(RunError):
        zip_run(tmp_path)


# ------------------------------------------------------------------------------------------- pipeline


def test_pipeline_snippet_loads_a_finetune_run(root, capsys):
    assert pipeline_snippet(read_run(root / "a-frozen")) is None
    code = pipeline_snippet(read_run(root / "b-finetune"))
    assert "pipeline(\"text-classification\"" in code and str((root / "b-finetune").resolve()) in code
    exec(compile(code, "snippet", "exec"), {})
    printed = capsys.readouterr().out
    assert "'label': 'spam'" in printed or "'label': 'ham'" in printed
