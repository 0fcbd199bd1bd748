"""Run folders written before the package was cut into layers (issue 40) load through the new layers and give the
same verdicts: a tiny finetune run (with the repair view, v4) and a tiny frozen run, both written by spamcore at
commit df45f7a, with the probabilities that code gave (``verdicts.json``), committed under tests/fixtures/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from spamcore.model.onnx import load_for_verdicts
from spamcore.model.pretrained import from_pretrained
from spamcore.runs.store import read_run

FIXTURE = Path(__file__).parent / "fixtures" / "before-layers"


@pytest.fixture()
def old_runs(tmp_path) -> Path:
    """The fixture copied, the frozen run's base model pointed at the copy (a run names its base model by path)."""
    folder = shutil.copytree(FIXTURE, tmp_path / "before-layers")
    run_file = folder / "run-frozen" / "run.json"
    meta = json.loads(run_file.read_text())
    meta["config"]["model"] = str(folder / "tiny-bert")
    run_file.write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize("recipe", ["finetune", "frozen"])
def test_a_run_folder_from_before_the_layers_gives_the_same_verdicts(old_runs, recipe):
    recorded = json.loads((old_runs / "verdicts.json").read_text())
    run = old_runs / f"run-{recipe}"
    info = read_run(run)
    assert info.status == "finished" and info.usable
    torch_engine = from_pretrained(run, device="cpu")
    p = torch_engine.predict_proba(recorded["texts"])
    assert np.abs(p - np.array(recorded["spam_probability"][recipe])).max() < 1e-6
    fast = load_for_verdicts(run)
    assert fast.engine == "onnx" and np.abs(fast.predict_proba(recorded["texts"]) - p).max() <= 1e-3
