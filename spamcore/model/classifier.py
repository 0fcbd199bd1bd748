"""Spam probabilities for messages from a trained classifier on torch (fresh from training or loaded from a run): the
training engine, and the fallback where ONNX Runtime cannot answer (spamcore.model.onnx)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence

import numpy as np
import torch

from spamcore.model.batching import pad_batch, sorted_batches
from spamcore.model.config import TrainConfig
from spamcore.model.precision import autocast, use_bf16
from spamcore.model.verdicts import MAX_MESSAGE_CHARS, Encoded, Prediction, Verdicts

__all__ = ["MAX_MESSAGE_CHARS", "Encoded", "Prediction", "SpamClassifier"]


class SpamClassifier(Verdicts):
    """A read-only classifier: tokenizer + module (logits for ham/spam) + the config it was trained with.

    Safe to share between threads: prediction runs under ``torch.inference_mode`` and changes nothing.
    """

    engine = "torch"

    def __init__(
        self, module: torch.nn.Module, tokenizer, config: TrainConfig, device: torch.device,
        threshold: float = 0.5, temperature: float = 1.0, unsure_half_width: float = 0.0, name: str = "",
    ) -> None:
        super().__init__(tokenizer, config, threshold, temperature, unsure_half_width, name)
        self.module = module.eval()
        self.device = device
        self.bf16 = use_bf16(config.precision, device)
        self._fast_module: torch.nn.Module | None = None
        self._fast_lock = threading.Lock()

    def inference_module(self) -> torch.nn.Module:
        """The module prediction runs: under bf16, a copy whose Linear weights are stored in bf16.

        Autocast would cast every Linear weight to bf16 on every call (the same values, so the same results);
        casting once saves that memory traffic: single-message latency and bulk throughput both gain ~1.5x.
        ``self.module`` stays fp32 for training, attribution and saving.
        """
        if not self.bf16:
            return self.module
        with self._fast_lock:
            if self._fast_module is None:
                fast = copy.deepcopy(self.module).eval()
                for layer in fast.modules():
                    if isinstance(layer, torch.nn.Linear):
                        layer.to(torch.bfloat16)
                self._fast_module = fast
            return self._fast_module

    @torch.inference_mode()
    def proba_from_ids(self, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        """Spam probability of each row of token ids (as :meth:`encode` returns them), in input order."""
        probs = np.empty(len(ids), dtype=np.float64)
        pad_id = self.tokenizer.pad_token_id or 0
        module = self.inference_module()
        for batch in sorted_batches([len(s) for s in ids], batch_size):
            input_ids, mask = pad_batch([ids[i] for i in batch], pad_id)
            with autocast(self.bf16, self.device):
                logits = module(input_ids.to(self.device), mask.to(self.device))
            probs[batch] = torch.softmax(logits.float() / self.temperature, dim=-1)[:, 1].cpu().numpy()
        return probs
