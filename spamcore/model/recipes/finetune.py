"""Full fine-tuning: every weight trains, with a sequence-classification head.

A run stores a complete Hugging Face model (``config.json`` + ``model.safetensors``), so
``transformers.pipeline("text-classification", model=RUN)`` loads it too.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spamcore.model.batching import pad_batch, sorted_batches, tokenize
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import TrainConfig
from spamcore.model.loading import FinetuneClassifier, check_max_length, load_sequence_classifier
from spamcore.model.precision import autocast
from spamcore.model.recipes.context import TaskContext
from spamcore.model.weights import load_state, read_safetensors

WEIGHTS_FILE = "model.safetensors"


class Task:
    """All weights trained; batches tokenised once and padded per batch."""

    def __init__(self, config: TrainConfig, split, tokenizer, context: TaskContext) -> None:
        self.config, self.tokenizer, self.device, self.bf16 = config, tokenizer, context.device, context.bf16
        torch.manual_seed(config.seed)  # the new classification layer's init
        hf_model = load_sequence_classifier(config.model)
        check_max_length(config.max_length, hf_model.config)
        if config.encoder_dropout is not None:
            for layer in hf_model.modules():
                if isinstance(layer, nn.Dropout):
                    layer.p = config.encoder_dropout
        if config.freeze_embeddings:
            # The word-embedding matrix is half of a small BERT's weights; its dense gradient and AdamW update
            # cost more than they bring on a few thousand short messages (see bench/).
            hf_model.get_input_embeddings().weight.requires_grad_(False)
        self.module = FinetuneClassifier(hf_model).to(self.device)
        self.train_module = self.module  # DDP-wrapped under accelerate launch
        self.pad_id = tokenizer.pad_token_id or 0
        self.read(list(split.train["text"]))
        self.val_ids = tokenize(tokenizer, list(split.validation["text"]), config.max_length)
        self.val_labels = torch.tensor(split.validation["label"].to_numpy(), dtype=torch.long)

    def read(self, texts: list[str]) -> None:
        """The training texts of the next pass (row for row the split's: a sampler may have perturbed them)."""
        self.train_ids = tokenize(self.tokenizer, texts, self.config.max_length)
        self.train_lengths = np.array([len(s) for s in self.train_ids])

    def forward_train(self, batch: np.ndarray) -> torch.Tensor:
        input_ids, mask = pad_batch([self.train_ids[i] for i in batch], self.pad_id)
        return self.train_module(input_ids.to(self.device), mask.to(self.device))

    @torch.inference_mode()
    def validate(self, loss_fn, limit: int | None = None) -> tuple[float, np.ndarray]:
        self.module.eval()
        val_ids = self.val_ids[:limit]
        logits = torch.empty((len(val_ids), 2), dtype=torch.float32)
        for batch in sorted_batches([len(s) for s in val_ids], 128):
            input_ids, mask = pad_batch([val_ids[i] for i in batch], self.pad_id)
            with autocast(self.bf16, self.device):
                out = self.module(input_ids.to(self.device), mask.to(self.device))
            logits[torch.as_tensor(batch)] = out.float().cpu()
        loss = float(loss_fn(logits.to(self.device), self.val_labels[:limit].to(self.device)))
        return loss, torch.softmax(logits, -1)[:, 1].numpy()

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return self.module.hf.state_dict()

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        self.module.hf.load_state_dict(state)

    def classifier(self) -> SpamClassifier:
        # The best weights are copied so that later epochs cannot change a classifier handed out earlier.
        module = FinetuneClassifier(copy.deepcopy(self.module.hf)).eval()
        return SpamClassifier(module, self.tokenizer, self.config, self.device)


def save(module: FinetuneClassifier, folder: Path) -> None:
    module.hf.save_pretrained(folder, safe_serialization=True)


def load(folder: Path, config: TrainConfig) -> torch.nn.Module:
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from spamcore.errors import RunError

    try:
        hf_config = AutoConfig.from_pretrained(str(folder))
    except (OSError, ValueError, KeyError) as err:
        reason = str(err).splitlines()[0]
        raise RunError(f"{folder / 'config.json'}: model config missing or invalid ({reason})") from None
    if getattr(hf_config, "num_labels", None) != 2:
        raise RunError(f"{folder / 'config.json'}: expected a 2-label (ham/spam) classifier")
    from transformers.initialization import no_init_weights

    from spamcore.model.ready import DELTA_FILE, load_delta

    with no_init_weights():  # every weight is read from the run below: drawing random ones first only costs time
        model = AutoModelForSequenceClassification.from_config(hf_config)

    if not (folder / WEIGHTS_FILE).is_file() and (folder / DELTA_FILE).is_file():
        load_delta(folder, model)  # the ready model: what differs from the bundled MiniLM
    else:
        load_state(model, read_safetensors(folder / WEIGHTS_FILE), folder / WEIGHTS_FILE)
    return FinetuneClassifier(model.eval())
