"""Data-parallel training through Accelerate on CPU (gloo): 2 processes give what 1 process gives.

torchrun starts the processes (``accelerate launch`` does the same on GPUs; on CPUs its multi-process path needs
MPI). Dropout is off and the arithmetic is fp32, so the only difference left is the order of float sums.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import messages_frame
from safetensors.numpy import load_file

from spamcore.model.config import recipe_defaults

TORCHRUN = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))


def _train(prefix: list[str], config: Path, data: Path, out: Path) -> None:
    result = subprocess.run([*prefix, "train", "--config", str(config), "--data", str(data), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def two_runs(tiny_model_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    config = recipe_defaults("finetune", model=str(tiny_model_dir), augment="", extra_data="", epochs=2,
                             batch_size=8, max_length=16, lr=5e-3, warmup_ratio=0.0, freeze_embeddings=False,
                             encoder_dropout=0.0, precision="fp32", device="cpu")
    (tmp / "config.json").write_text(json.dumps(config.to_dict()))
    frame = messages_frame(4)  # 80 messages -> 56 training messages -> 7 global batches of 8, 4 per process
    data = tmp / "data.csv"
    frame.assign(label=frame["label"].map({0: "ham", 1: "spam"}))[["label", "text"]].to_csv(data, index=False)
    _train([sys.executable, "-m", "spamcore"], tmp / "config.json", data, tmp / "one")
    _train([TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "spamcore"], tmp / "config.json", data,
           tmp / "two")
    return tmp / "one", tmp / "two"


def test_two_processes_match_one_process_loss_curve_and_weights(two_runs):
    one, two = two_runs
    h1, h2 = (json.loads((run / "history.json").read_text()) for run in (one, two))
    assert len(h1["steps"]) == len(h2["steps"]) == 14
    np.testing.assert_allclose([s[1] for s in h2["steps"]], [s[1] for s in h1["steps"]], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose([e["val_loss"] for e in h2["epochs"]], [e["val_loss"] for e in h1["epochs"]],
                               rtol=1e-3, atol=1e-4)
    w1, w2 = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    assert w1.keys() == w2.keys()
    for name in w1:
        np.testing.assert_allclose(w2[name], w1[name], rtol=1e-3, atol=1e-4, err_msg=name)


def test_only_the_main_process_writes_the_run(two_runs):
    _, two = two_runs
    lines = (two / "progress.jsonl").read_text().splitlines()
    steps = [json.loads(line) for line in lines if '"kind":"step"' in line]
    assert [s["global_step"] for s in steps] == list(range(1, 15))  # once each, not once per process
    assert json.loads(lines[-1])["status"] == "finished"
    metrics_one = json.loads((two_runs[0] / "metrics.json").read_text())
    metrics_two = json.loads((two / "metrics.json").read_text())
    assert abs(metrics_one["classes"]["spam"]["f1"] - metrics_two["classes"]["spam"]["f1"]) <= 1e-3
