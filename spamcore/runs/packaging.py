"""Making the ready model (spamcore.model.ready) and what is made from it: a student run packaged as the half-precision
delta from the bundled MiniLM with its figures measured again, the build that trains and packages it, the whole model a
class retrain continues from, and its test predictions on the computer that shows them."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spamcore.errors import RunError
from spamcore.model.config import BUNDLED_MODEL
from spamcore.model.ready import (
    DELTA_FILE,
    READY_DESCRIPTION,
    READY_MODEL,
    READY_NAME,
    _base_tensors,
    _fingerprint,
    resolve,
    shipped_folder,
    student_settings,
)

if TYPE_CHECKING:
    import pandas as pd

#: How the data the ready model learnt from reads on Evaluate.
DATA_NAME = "SMS Spam Collection (Almeida & Gómez Hidalgo 2011, UCI, CC BY 4.0)"
#: Files of a run folder the package carries (the rest, history and predictions, stay with the build).
SHIPPED_FILES = ("run.json", "metrics.json", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "known-words.npy", DELTA_FILE)


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
    (target / DELTA_FILE).chmod(0o644)  # as every file of a package: readable by all
    return {"tensors kept": len(kept), "values kept": sum(t.numel() for t in kept.values()),
            "tensors from the base": len(same), "values from the base": sum(state[n].numel() for n in same)}


def package(run_dir: Path, target: Path, teacher: dict[str, Any]) -> Path:
    """Copy a finished student run into ``target`` as the ready model: its half-precision delta, tokenizer, known
    words, figures and settings (the teacher by name, not by path); :func:`rescore` then measures the half-precision
    weights again."""
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
    meta["data"] = {**meta.get("data", {}), "name": DATA_NAME}
    write_json(target / "run.json", {**meta, "config": config, "name": READY_NAME, "model_name": READY_DESCRIPTION,
                                     "ready": {"teacher": teacher, "weights": sizes}})
    return target


def rescore(target: Path, data: pd.DataFrame) -> dict[str, Any]:
    """The shipped weights' own figures (test split, suites), written into ``target``'s ``metrics.json``."""
    from spamcore.data.messages import split_dataset
    from spamcore.evaluation.calibration import test_summary
    from spamcore.evaluation.metrics import classification_report
    from spamcore.evaluation.robustness import load_intent_suite, suite_report
    from spamcore.evaluation.suites.evasion import evasion_report
    from spamcore.model.saved import load_classifier
    from spamcore.runs.store import read_json, write_json

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
                  intent=suite_report(clf.predict_proba, clf.threshold, suite=load_intent_suite(), band=band),
                  scored="half-precision weights as shipped")
    write_json(target / "metrics.json", report)
    return report


def student_texts(config: Any, data: pd.DataFrame) -> list[str]:
    """Every clean text a student of ``config`` distils on, once each, in a fixed order: the training split, the extra
    data and the transfer set (what a teacher file must know)."""
    from spamcore.data.corpora import load_transfer
    from spamcore.data.messages import split_dataset
    from spamcore.training.loop import training_frame

    train = training_frame(split_dataset(data).train, config.replace(perturb_share=1.0))  # no fixed copies
    texts = [*train["text"], *(load_transfer(config.transfer_data)["text"] if config.transfer_data else [])]
    return sorted(set(texts))


def store_teacher(run_dir: str | Path, data: pd.DataFrame, out: Path, commit: str = "") -> Path:
    """Ask the teacher run ``run_dir`` once about every text a student distils on and keep its answers as a teacher
    file (spamcore.model.teacher_file) at ``out``."""
    from spamcore.model.config import recipe_defaults
    from spamcore.model.saved import load_classifier
    from spamcore.model.teacher_file import write_teacher_file
    from spamcore.runs.store import read_run

    info = read_run(run_dir)
    config = recipe_defaults("finetune", **student_settings(str(run_dir)))
    texts = student_texts(config, data)
    teacher = load_classifier(run_dir)
    teacher.temperature = 1.0  # raw probabilities: calibration is for verdicts, not targets
    probabilities = teacher.predict_proba(texts)
    spam = (info.metrics or {}).get("classes", {}).get("spam", {})
    described = {"name": f"{info.config.model} finetune (seed {info.config.seed})", "recipe": info.meta["config"],
                 "seed": info.config.seed, "commit": commit, "seconds": info.meta.get("seconds"),
                 "test spam F1": spam.get("f1"), "messages": len(texts)}
    return write_teacher_file(out, texts, probabilities, described)


def build(teacher: str, data: pd.DataFrame, seed: int = 42,
          progress: Callable[[str], None] = lambda line: None, target: Path | None = None) -> Path:
    """Train the student from ``teacher`` (a teacher file, or a teacher run folder) on ``data`` and package it into
    ``target`` (default: the package's ``shipped/`` folder)."""
    from spamcore.model.config import recipe_defaults
    from spamcore.model.teacher_file import is_teacher_file, read_teacher_file
    from spamcore.runs.experiment import run_experiment
    from spamcore.runs.store import read_run

    target = target or shipped_folder()
    if is_teacher_file(teacher):
        stored, _ = read_teacher_file(teacher)
        described = {key: stored.get(key) for key in ("name", "test spam F1", "seconds", "seed", "commit")}
    else:
        info = read_run(teacher)
        described = {"name": f"{info.config.model} finetune (seed {info.config.seed})",
                     "test spam F1": (info.metrics or {}).get("classes", {}).get("spam", {}).get("f1"),
                     "seconds": info.meta.get("seconds")}
    config = recipe_defaults("finetune", **student_settings(teacher), seed=seed)
    with tempfile.TemporaryDirectory(prefix="spamcore-ready-") as scratch:
        run_dir = Path(scratch) / "student"
        progress(f"training the student ({config.epochs} passes, seed {seed}) from {teacher}")
        run_experiment(config, data, run_dir)
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

    from spamcore.data.messages import Split, cache_dir, read_messages, resolve_data, split_dataset
    from spamcore.evaluation.baseline import train_baseline
    from spamcore.model.saved import load_classifier
    from spamcore.runs.experiment import data_fingerprint
    from spamcore.runs.layout import PREDICTIONS_FILE
    from spamcore.runs.store import atomic_write, read_run

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

    from spamcore.data.messages import cache_dir

    folder = folder or resolve(READY_MODEL)
    digest = hashlib.sha256((folder / DELTA_FILE).read_bytes()).hexdigest()[:16]
    target = cache_dir() / "models" / f"{READY_NAME}-{digest}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.safetensors").is_file():
            return target
        from spamcore.model.saved import load_classifier

        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".ready-") as scratch:
            staging = Path(scratch) / "model"
            classifier = load_classifier(folder, device="cpu")
            classifier.module.hf.save_pretrained(staging, safe_serialization=True)
            classifier.tokenizer.inner.save_pretrained(staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    return target
