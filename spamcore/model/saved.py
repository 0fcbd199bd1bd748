"""A saved classifier read from its folder — a run of this computer, the ready model in the package, any folder
``spamcore`` wrote — by the model layer itself: its settings, threshold, calibration and name (``run.json``), the
recipe's head and weights, the tokenizer and the repair view's known words.

:func:`spamcore.model.pretrained.from_pretrained` is the one entry every caller goes through; the torch engine's
loading is here (:func:`load_classifier`), ONNX Runtime's in :mod:`spamcore.model.onnx`. The runs layer keeps a run's
life (status, history, listing, deleting) on top of this.

Nothing here imports torch until weights are loaded: the app lists models on its first page.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spamcore.errors import ConfigError, RunError
from spamcore.evaluation.metrics import DEFAULT_THRESHOLD, check_threshold
from spamcore.model.config import TrainConfig, model_description
from spamcore.model.recipes import REGISTRY

if TYPE_CHECKING:
    from spamcore.model.classifier import SpamClassifier

#: The file that makes a folder a saved spamcore model: its settings, threshold, calibration and status.
RUN_FILE = "run.json"


def read_json(path: Path, missing_ok: bool = False) -> Any:
    if not path.is_file():
        if missing_ok:
            return None
        raise RunError(f"{path}: file missing; the run is incomplete or not a spamcore run")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunError(f"{path}: not valid JSON ({err}); the file is corrupted") from None


def read_meta(folder: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    """The folder (``bundled:spamcore-ready`` is the package's) and its checked ``run.json``."""
    from spamcore.model.ready import resolve

    path = resolve(folder)
    if not path.is_dir():
        raise RunError(f"run folder {str(path)!r} does not exist")
    meta = read_json(path / RUN_FILE)
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise RunError(f"{path / RUN_FILE}: has no 'config' section; not a spamcore run")
    try:
        TrainConfig.from_dict(meta["config"])
    except (ConfigError, TypeError) as err:
        raise RunError(f"{path / RUN_FILE}: invalid config ({err})") from None
    return path, meta


@dataclass(frozen=True)
class SavedModel:
    """What ``run.json`` says about a saved classifier."""

    path: Path
    meta: dict[str, Any]

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> SavedModel:
        return cls(*read_meta(folder))

    @property
    def name(self) -> str:
        """The folder's name; the ready model's own name (``spamcore-ready``)."""
        return str(self.meta.get("name") or self.path.name)

    @property
    def model_name(self) -> str:
        """How the model reads to a person (see :func:`spamcore.model.config.model_description`)."""
        config = self.meta["config"]
        return str(self.meta.get("model_name") or model_description(config.get("model", ""), config.get("extra_data")))

    @property
    def display_name(self) -> str:
        """How a verdict names the model: the ready model by its description, a run by its folder and model."""
        return self.model_name if self.is_ready_model else f"run {self.name} ({self.model_name})"

    @property
    def is_ready_model(self) -> bool:
        """The ready model shipped in the package (spamcore.model.ready), not a run of this computer."""
        return "ready" in self.meta

    @property
    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.meta["config"])

    @property
    def has_weights(self) -> bool:
        entry = REGISTRY.get(self.meta["config"].get("recipe"))
        if entry is None:
            return False
        from spamcore.model.ready import DELTA_FILE

        return (self.path / entry.weights_file).is_file() or (self.path / DELTA_FILE).is_file()

    @property
    def threshold(self) -> float:
        """The spam threshold chosen for this run; 0.5 until one is chosen."""
        value = self.meta.get("threshold", DEFAULT_THRESHOLD)
        try:
            return check_threshold(value)
        except ConfigError:
            raise RunError(f"{self.path / RUN_FILE}: invalid threshold {value!r}; set it again") from None

    @property
    def temperature(self) -> float:
        """The temperature fitted on the validation split (1: uncalibrated, as runs saved before calibration)."""
        return float(self.meta.get("calibration", {}).get("temperature", 1.0))

    @property
    def unsure_half_width(self) -> float:
        """Half the width of the "not sure" band around the threshold (0: no band, as older runs)."""
        return float(self.meta.get("calibration", {}).get("unsure_half_width", 0.0))

    def check_weights(self) -> None:
        if not self.has_weights:
            state = "is still training or was interrupted" if self.meta.get("status") == "running" else \
                "has no weights"
            raise RunError(f"run {self.name!r} {state}: its checkpoint file is missing (incomplete run)")


def known_words_of(path: Path, config: TrainConfig):
    """The training data's words a ``v4`` model's repair view leaves alone (spamcore.text.repair)."""
    if config.normalise != "v4":
        return None
    from spamcore.text.repair import KNOWN_WORDS_FILE, KnownWords

    try:
        known = KnownWords.load(path)
    except ValueError as err:
        raise RunError(f"{path}: {err}; the run is damaged") from None
    if known is None:
        raise RunError(f"{path}: {KNOWN_WORDS_FILE} missing (its repair view needs it); the run is incomplete")
    return known


def _load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    from spamcore.model.loading import has_tokenizer_files

    if not has_tokenizer_files(path):
        raise RunError(f"{path}: tokenizer files missing (tokenizer.json); the run is incomplete")
    try:
        return AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError, KeyError) as err:
        raise RunError(f"{path}: tokenizer files missing or corrupted ({str(err).splitlines()[0]})") from None


def load_classifier(folder: str | os.PathLike[str], device: str = "auto") -> SpamClassifier:
    """The saved classifier on torch, refusing missing, truncated, corrupted or mismatched files clearly."""
    from spamcore.model.classifier import SpamClassifier
    from spamcore.model.loading import resolve_device
    from spamcore.model.recipes import recipe
    from spamcore.text.normalise import normalising

    saved = SavedModel.read(folder)
    config = saved.config
    threshold = saved.threshold
    saved.check_weights()
    torch_device = resolve_device(device)
    tokenizer = normalising(_load_tokenizer(saved.path), config.normalise, known_words_of(saved.path, config))
    module = recipe(config.recipe).load(saved.path, config)
    return SpamClassifier(module.to(torch_device), tokenizer, config, torch_device, threshold=threshold,
                          temperature=saved.temperature, unsure_half_width=saved.unsure_half_width,
                          name=saved.display_name)
