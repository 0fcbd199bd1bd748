"""spamcore.model.ready: a run packaged as what differs from the bundled MiniLM, in half precision, loads back as
a run with the same verdicts; a delta made on another base, or a damaged one, is refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from spamcore.errors import RunError
from spamcore.model.config import BUNDLED_MODEL, recipe_defaults
from spamcore.model.ready import DELTA_FILE, READY_DESCRIPTION, READY_NAME, load_delta
from spamcore.model.saved import load_classifier
from spamcore.runs.packaging import package
from spamcore.runs.store import read_run
from spamcore.text.repair import KnownWords

TEXTS = ["You have won a free cruise, reply YES", "see you at the station at six", "Yuor acount is suspnded"]


@pytest.fixture(scope="module")
def student_run(tmp_path_factory) -> Path:
    """A finetune run of the bundled MiniLM whose encoder layers and head were changed, embeddings kept (as the
    finetune recipe freezes them)."""
    from spamcore.model.loading import load_sequence_classifier, load_tokenizer

    run = tmp_path_factory.mktemp("student")
    torch.manual_seed(0)
    hf = load_sequence_classifier(BUNDLED_MODEL)
    with torch.no_grad():
        for name, param in hf.named_parameters():
            if "word_embeddings" not in name:
                param.add_(torch.randn_like(param) * 0.01)
    hf.save_pretrained(run, safe_serialization=True)
    load_tokenizer(BUNDLED_MODEL).save_pretrained(run)
    KnownWords.of(["ok lor"]).save(run)
    config = recipe_defaults("finetune", normalise="v4").to_dict()
    (run / "run.json").write_text(json.dumps({"config": config, "status": "finished", "created": "2026-12-07",
                                              "calibration": {"temperature": 1.5, "unsure_half_width": 0.1},
                                              "data": {"name": "data", "sha256": "x"}}))
    (run / "metrics.json").write_text(json.dumps({"accuracy": 0.5, "n": 3, "classes": {"spam": {"f1": 0.5}}}))
    return run


@pytest.fixture(scope="module")
def shipped(student_run, tmp_path_factory) -> Path:
    return package(student_run, tmp_path_factory.mktemp("shipped"), {"name": "a test teacher"})


def test_the_package_holds_only_what_differs_in_half_precision(student_run, shipped):
    from safetensors.torch import load_file

    delta = load_file(str(shipped / DELTA_FILE))
    assert "bert.embeddings.word_embeddings.weight" not in delta  # read from the bundled MiniLM
    assert all(t.dtype == torch.float16 for t in delta.values())
    full = (student_run / "model.safetensors").stat().st_size
    assert (shipped / DELTA_FILE).stat().st_size < 0.3 * full
    assert not (shipped / "model.safetensors").exists() and not (shipped / "test_predictions.csv").exists()
    meta = json.loads((shipped / "run.json").read_text())
    assert meta["name"] == READY_NAME and meta["model_name"] == READY_DESCRIPTION
    assert meta["config"]["distil_from"] == "teacher: a test teacher"  # never a path of the machine that built it
    assert meta["ready"]["weights"]["tensors from the base"] == 1


def test_it_loads_as_a_run_with_the_same_probabilities(student_run, shipped):
    info = read_run(shipped)
    assert info.usable and info.is_ready_model and info.name == READY_NAME and info.model_name == READY_DESCRIPTION
    original, ready = load_classifier(student_run), load_classifier(shipped)
    assert ready.name == READY_DESCRIPTION and ready.config.normalise == "v4"
    assert ready.temperature == 1.5 and ready.unsure_half_width == 0.1
    assert ready.predict_proba(TEXTS) == pytest.approx(original.predict_proba(TEXTS), abs=2e-3)


def test_a_delta_made_on_another_base_is_refused(shipped, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(shipped / DELTA_FILE), framework="pt") as handle:
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 (safe_open has no iterator)
        meta = handle.metadata()
    fingerprints = json.loads(meta["fingerprints"])
    fingerprints = {k: "0" * 16 for k in fingerprints}
    save_file(tensors, str(tmp_path / DELTA_FILE), metadata={**meta, "fingerprints": json.dumps(fingerprints)})
    from spamcore.model.loading import load_sequence_classifier

    with pytest.raises(RunError, match="another version of the bundled MiniLM"):
        load_delta(tmp_path, load_sequence_classifier(BUNDLED_MODEL))


def test_a_truncated_delta_is_refused(shipped, tmp_path):
    import shutil

    folder = tmp_path / "ready"
    shutil.copytree(shipped, folder)
    data = (folder / DELTA_FILE).read_bytes()
    (folder / DELTA_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="truncated or corrupted"):
        load_classifier(folder)


def test_a_class_retrain_continues_from_the_whole_model(shipped, monkeypatch, tmp_path):
    from spamcore.classroom.rounds import retrain_config
    from spamcore.runs import packaging

    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path / "cache"))
    config = retrain_config(read_run(shipped))
    folder = Path(config.model)
    assert folder.name.startswith(READY_NAME) and (folder / "model.safetensors").is_file()
    assert config.distil_from == str(shipped.resolve()) and config.normalise == "v4"
    assert packaging.full_model_folder(shipped) == folder  # written once
    whole = load_classifier(shipped)
    from spamcore.model.loading import load_sequence_classifier

    again = load_sequence_classifier(str(folder))
    state = whole.module.hf.state_dict()
    assert all(torch.equal(state[k], v) for k, v in again.state_dict().items())
