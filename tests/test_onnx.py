"""Verdicts on ONNX Runtime (issue 39): the same verdicts as torch, a graph per set of weights written whole, torch
with one sentence where the fast engine cannot be made, and a verdict's path that imports neither torch nor
transformers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import messages_frame
from test_app import tiny_run  # noqa: F401 (fixture)

from spamcore.errors import SpamcoreError
from spamcore.model.classifier import SpamClassifier
from spamcore.model.onnx import (
    OnnxClassifier,
    chosen_engine,
    graph_path,
    load_for_verdicts,
    load_onnx,
)
from spamcore.model.saved import load_classifier
from spamcore.runs.store import read_run

MESSAGES = ["WIN a free prize now, call 09061743810", "see you at six", "ok", "Y0u h@ve w0n!! cl4im", "lunch? x",
            "a message " * 40]


@pytest.fixture()
def run(tiny_run, tmp_path):  # noqa: F811
    """A copy of the tiny run (each test makes its own graph)."""
    return shutil.copytree(tiny_run / "tiny-finetune", tmp_path / "run")


def test_onnx_gives_the_torch_verdicts(run):
    notes = []
    fast = load_for_verdicts(run, notice=notes.append)
    assert isinstance(fast, OnnxClassifier) and fast.engine == "onnx", notes
    assert len(notes) == 1 and "once" in notes[0]  # the graph is made on first use, said in one line
    slow = load_classifier(run, device="cpu")
    texts = [*MESSAGES, *messages_frame(1)["text"]]
    p_fast, p_slow = fast.predict_proba(texts), slow.predict_proba(texts)
    assert np.abs(p_fast - p_slow).max() <= 1e-3
    assert [p.verdict for p in fast.predict(texts)] == [p.verdict for p in slow.predict(texts)]
    assert [p.truncated for p in fast.predict(texts)] == [p.truncated for p in slow.predict(texts)]
    assert (fast.threshold, fast.unsure_band, fast.name) == (slow.threshold, slow.unsure_band, slow.name)
    again = []
    load_for_verdicts(run, notice=again.append)
    assert again == []  # made once


def test_the_graph_is_named_by_the_weights_and_written_whole(run):
    info = read_run(run)
    first = graph_path(run, info.config.recipe, False)
    load_onnx(run)
    assert first.is_file() and first.parent == run and not list(run.glob(".*.tmp"))
    weights = run / "model.safetensors"
    weights.write_bytes(weights.read_bytes() + b"")  # same bytes: same graph
    assert graph_path(run, info.config.recipe, False) == first
    from safetensors.torch import load_file, save_file

    state = load_file(str(weights))
    name = next(iter(state))
    state[name] = state[name] + 0.01
    save_file(state, str(weights), metadata={"format": "pt"})
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # a later checkpoint
    assert graph_path(run, info.config.recipe, False) != first  # new weights, new graph


def test_where_the_fast_engine_cannot_be_made_torch_answers_and_says_so(run, monkeypatch, tmp_path):
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(run / "tokenizer.json")).get_vocab()
    (run / "vocab.txt").write_text("".join(f"{w}\n" for w in sorted(vocab, key=vocab.get)))
    (run / "tokenizer.json").unlink()  # a run folder saved with a WordPiece vocabulary only
    notes = []
    assert isinstance(load_for_verdicts(run, notice=notes.append), SpamClassifier)
    assert len(notes) == 1 and notes[0].startswith("verdicts come from torch")
    with pytest.raises(SpamcoreError, match="ONNX engine cannot answer"):
        load_for_verdicts(run, engine="onnx")


def test_a_failed_export_leaves_no_graph_and_torch_answers(run, monkeypatch):
    import spamcore.model.onnx as engine

    def broken(module, args, path, **kwargs):
        Path(path).write_bytes(b"half a graph")
        raise RuntimeError("disk full")

    import torch

    monkeypatch.setattr(torch.onnx, "export", broken)
    notes = []
    clf = load_for_verdicts(run, notice=notes.append)
    assert clf.engine == "torch" and "disk full" in notes[-1]
    assert not list(run.glob("*.onnx")) and not list(run.glob(".*.tmp"))  # nothing half-written is left to read
    assert engine.chosen_engine("torch") == "torch"


def test_the_engine_is_chosen_by_flag_or_environment(run, monkeypatch):
    monkeypatch.setenv("SPAMCORE_ENGINE", "torch")
    assert load_for_verdicts(run).engine == "torch"
    assert load_for_verdicts(run, engine="onnx").engine == "onnx"
    monkeypatch.setenv("SPAMCORE_ENGINE", "fast")
    with pytest.raises(SpamcoreError, match="engine must be one of"):
        chosen_engine()


def test_a_read_only_run_keeps_its_graph_in_the_cache_and_no_cache_means_torch(run, monkeypatch, tmp_path):
    import spamcore.model.onnx as engine

    real_access = os.access
    monkeypatch.setattr(engine.os, "access", lambda path, mode: False if str(path) == str(run) else
                        real_access(path, mode))  # as root, chmod would not stop a write
    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path / "cache"))
    assert load_for_verdicts(run).engine == "onnx" and not list(run.glob("*.onnx"))
    assert list((tmp_path / "cache" / "onnx").glob("run-classifier-*.onnx"))
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path / "not-a-folder" / "cache"))  # a cache that cannot be made
    notes = []
    assert load_for_verdicts(run, notice=notes.append).engine == "torch"
    assert notes[-1].startswith("verdicts come from torch")


def test_a_one_shot_predict_imports_neither_torch_nor_transformers(run):
    load_onnx(run)  # the graph exists, as after the first verdict
    env = {**os.environ, "SPAMCORE_READY_MODEL": "off"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "spamcore", "predict", "--run", str(run),
                           "free prize now"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "onnxruntime" in imported
    assert not {m for m in imported if m.split(".")[0] in ("torch", "transformers")}
    assert "engine: onnx" in done.stderr and done.stdout.split("\t")[0] in ("spam", "ham", "unsure")


def test_spamcore_export_makes_the_graph_and_says_where(run, capsys):
    from spamcore.cli import main

    assert main(["export", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "exported to ONNX" in err and out.strip().endswith(".onnx") and Path(out.strip()).is_file()
    assert main(["export", str(run)]) == 0 and capsys.readouterr().err == ""  # made once


def test_two_verdicts_asking_at_once_share_one_export(run):
    """The app's warm-up and a first page can ask for the same graph together (seen in a browser: torch's exporter
    refused the second, 'in_onnx_export must be False')."""
    import threading

    results, notes = [], []
    threads = [threading.Thread(target=lambda: results.append(load_for_verdicts(run, notice=notes.append)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.engine for c in results] == ["onnx"] * 3, notes
    assert len(list(run.glob("classifier-*.onnx"))) == 1


def test_the_verdict_server_imports_neither_torch_nor_transformers():
    """``spamcore serve`` answers through ONNX Runtime; its modules must not pull in torch on the way (they did, by
    taking Prediction and MAX_MESSAGE_CHARS from the torch engine's module)."""
    code = ("import sys, spamcore.serving.server, spamcore.serving.api, spamcore.model.onnx; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
