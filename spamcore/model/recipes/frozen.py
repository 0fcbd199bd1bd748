"""The reference notebook's recipe: the encoder stays frozen, an MLP head learns on its pooled output.

The encoder's features are computed once (see :mod:`spamcore.model.features`) and every epoch trains only the head on
them. A run stores the head alone (``head.safetensors``); the encoder is the base model named in ``run.json``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from spamcore.model import features as feature_cache
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import TrainConfig
from spamcore.model.loading import FrozenEncoderClassifier, MLPHead, check_max_length, load_encoder, resolve_model_path
from spamcore.model.recipes.context import TaskContext
from spamcore.model.weights import load_state, read_safetensors, save_state

WEIGHTS_FILE = "head.safetensors"


class Task:
    """Head-only training on cached encoder features."""

    def __init__(self, config: TrainConfig, split, tokenizer, context: TaskContext) -> None:
        self.config, self.tokenizer, self.device = config, tokenizer, context.device
        self.encoder = load_encoder(config.model).to(self.device)
        check_max_length(config.max_length, self.encoder.config)
        self.encoder.requires_grad_(False)
        self.fingerprint = feature_cache.model_fingerprint(resolve_model_path(config.model))
        self.context = context
        feats = self.features(list(split.train["text"]) + list(split.validation["text"]))
        self.train_feats = feats[: len(split.train)].to(self.device)
        self.val_feats = feats[len(split.train) :].to(self.device)
        self.val_labels = torch.tensor(split.validation["label"].to_numpy(), dtype=torch.long).to(self.device)
        # Every row costs the same for an MLP head: lengths only matter to the batch order.
        self.train_lengths = np.ones(len(split.train), dtype=np.int64)
        torch.manual_seed(config.seed)  # head init does not depend on how features were obtained
        self.module = MLPHead(self.encoder.config.hidden_size, config.hidden_units, config.dropout).to(self.device)
        self.train_module = self.module  # DDP-wrapped under accelerate launch

    def features(self, texts: list[str]) -> torch.Tensor:
        """The frozen encoder's features of ``texts`` (cached across runs by text and model)."""
        return feature_cache.cached_features(
            self.encoder, self.tokenizer, texts, fingerprint=self.fingerprint, max_length=self.config.max_length,
            pooling=self.config.pooling, device=self.device, bf16=self.context.bf16, cache_dir=self.context.cache_dir,
            progress=self.context.encoding,
        )

    def read(self, texts: list[str]) -> None:
        """The training texts of the next pass (a sampler's perturbations): their features, from the cache where
        a pass read them before."""
        self.train_feats = self.features(texts).to(self.device)

    def forward_train(self, batch: np.ndarray) -> torch.Tensor:
        return self.train_module(self.train_feats[torch.as_tensor(batch)])

    @torch.inference_mode()
    def validate(self, loss_fn, limit: int | None = None) -> tuple[float, np.ndarray]:
        self.module.eval()
        logits = self.module(self.val_feats[:limit]).float()
        loss = float(loss_fn(logits, self.val_labels[:limit]))
        return loss, torch.softmax(logits, -1)[:, 1].cpu().numpy()

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)

    def classifier(self) -> SpamClassifier:
        head = copy.deepcopy(self.module).eval()
        module = FrozenEncoderClassifier(self.encoder, head, self.config.pooling)
        return SpamClassifier(module, self.tokenizer, self.config, self.device)


def save(module: FrozenEncoderClassifier, folder: Path) -> None:
    save_state(module.head.state_dict(), folder / WEIGHTS_FILE)


def load(folder: Path, config: TrainConfig) -> torch.nn.Module:
    from spamcore.errors import ModelLoadError, RunError

    state = read_safetensors(folder / WEIGHTS_FILE)
    try:
        encoder = load_encoder(config.model)
    except ModelLoadError as err:
        raise RunError(f"run {folder.name!r} needs its base model {config.model!r}: {err}") from None
    head = MLPHead(encoder.config.hidden_size, config.hidden_units, config.dropout)
    load_state(head, state, folder / WEIGHTS_FILE)
    return FrozenEncoderClassifier(encoder, head, config.pooling)
