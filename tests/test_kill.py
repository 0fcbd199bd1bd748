"""Kill test (issue 5): SIGKILL a CLI training mid-epoch and mid-checkpoint, then read the run folder.

The run must load in its last complete state (the previous checkpoint), or be refused with a clear
``RunError`` saying it is incomplete — never crash — and ``list_runs`` must still work. The training is a real
``python -m spamcore train`` subprocess on the tiny random BERT; to kill it *while* a checkpoint is being
written, a small wrapper pauses the process just before the weights file of checkpoint N is renamed into place
(the other files of that checkpoint may already be there), and the test kills it there.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import messages_frame

from spamcore.errors import RunError
from spamcore.model.saved import load_classifier
from spamcore.runs.layout import MODEL_FILE
from spamcore.runs.store import list_runs, read_run

ROOT = Path(__file__).resolve().parents[1]

# Runs the CLI; with KILLTEST_PAUSE_AT=N it stops just before the N-th weights file is renamed into the run folder,
# touching KILLTEST_MARKER, so the test can SIGKILL it mid-save.
WRAPPER = """
import os, sys, time
pause_at = int(os.environ.get("KILLTEST_PAUSE_AT", "0"))
if pause_at:
    real_replace, seen = os.replace, [0]

    def replace(src, dst, *args, **kwargs):
        dst = os.fspath(dst)
        if os.path.basename(dst) == "model.safetensors" and not os.path.basename(os.path.dirname(dst)).startswith("."):
            seen[0] += 1
            if seen[0] == pause_at:
                open(os.environ["KILLTEST_MARKER"], "w").close()
                time.sleep(600)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
from spamcore.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kill-data") / "messages.tsv"
    frame = messages_frame(4)
    path.write_text("".join(f"{('ham', 'spam')[y]}\t{t}\n" for t, y in zip(frame.text, frame.label, strict=True)))
    return path


def start_training(data: Path, model: Path, out: Path, **env: str) -> subprocess.Popen:
    args = ["train", "--recipe", "finetune", "--data", str(data), "--model", str(model), "--out", str(out),
            "--epochs", "1000", "--batch-size", "4", "--max-length", "16", "--lr", "0.001", "--device", "cpu",
            "--precision", "fp32"]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", **env}
    return subprocess.Popen([sys.executable, "-c", WRAPPER, *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"training ended early with status {proc.returncode}")
        time.sleep(0.02)
    kill(proc)
    raise AssertionError("training did not get there in time")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_loads_and_predicts(run: Path) -> None:
    predictions = load_classifier(run, device="cpu").predict(["WINNER! Claim your free prize now", "See you later"])
    assert [p.label in ("ham", "spam") for p in predictions] == [True, True]


@pytest.mark.slow  # ~6 s: a subprocess that imports torch (the fast suite keeps the mid-checkpoint case below)
@pytest.mark.timeout(300)
def test_sigkill_mid_epoch_keeps_the_last_checkpoint(tiny_model_dir, data_file, tmp_path):
    out = tmp_path / "runs" / "killed"
    proc = start_training(data_file, tiny_model_dir, out)
    try:
        epochs_seen = 0
        for line in proc.stdout:  # "epoch   N: train loss ..." after each epoch (and its checkpoint)
            if line.startswith("epoch "):
                epochs_seen += 1
                if epochs_seen == 2:
                    break
        assert epochs_seen == 2, "training ended before its second epoch"
        time.sleep(0.05)  # inside a later epoch (the tiny model may finish one more before the kill lands)
    finally:
        kill(proc)

    info = read_run(out)
    assert info.status == "running"  # it never got to say otherwise
    checkpoints = info.history()["epochs"]  # written with each checkpoint
    assert info.meta["best_epoch"] >= 1
    assert checkpoints and checkpoints[-1]["epoch"] == info.meta["best_epoch"]
    assert_loads_and_predicts(out)
    assert [r.name for r in list_runs(out.parent)] == ["killed"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("checkpoint", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_sigkill_mid_checkpoint_gives_the_previous_state_or_a_clear_error(checkpoint, tiny_model_dir, data_file,
                                                                          tmp_path):
    out = tmp_path / "runs" / "killed"
    marker = tmp_path / "paused"
    proc = start_training(data_file, tiny_model_dir, out, KILLTEST_PAUSE_AT=str(checkpoint),
                          KILLTEST_MARKER=str(marker))
    try:
        wait_for(marker.exists, proc)
        before = sha256(out / MODEL_FILE) if checkpoint > 1 else None
    finally:
        kill(proc)

    assert read_run(out).status == "running"
    assert [r.name for r in list_runs(out.parent)] == ["killed"]
    if checkpoint == 1:  # nothing complete yet: a clear refusal, not a crash
        with pytest.raises(RunError, match="incomplete run"):
            load_classifier(out, device="cpu")
    else:  # the weights of checkpoint 1, untouched, and loadable
        assert sha256(out / MODEL_FILE) == before
        assert read_run(out).meta["best_epoch"] >= 1
        assert_loads_and_predicts(out)
    # The half-written checkpoint is only in a hidden staging folder, which nothing lists or loads.
    assert all(p.name.startswith(".") for p in out.iterdir() if p.is_dir())
