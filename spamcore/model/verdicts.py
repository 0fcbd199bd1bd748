"""A saved classifier's verdicts, whatever engine computes them: tokenising once, the "not sure" band, the threshold,
"only the beginning was read". The engines subclass :class:`Verdicts` with one method, the spam probability of rows of
token ids: :class:`spamcore.model.classifier.SpamClassifier` runs the torch module (training, attributions, the
fallback),
:class:`spamcore.model.onnx.OnnxClassifier` an ONNX Runtime session (issue 39: a verdict without torch).

Nothing here imports torch or transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spamcore.errors import SpamcoreError
from spamcore.evaluation.calibration import UnsureBand, band_around
from spamcore.evaluation.metrics import predict_labels
from spamcore.model.config import TrainConfig
from spamcore.text.labels import LABEL_NAMES

#: Messages longer than this many characters are cut before tokenising (max length cuts far earlier).
MAX_MESSAGE_CHARS = 20_000


@dataclass(frozen=True)
class Encoded:
    """Messages tokenised once (see :meth:`Verdicts.encode`)."""

    ids: list[list[int]]  # token ids per message, cut to max length, [CLS]/[SEP] kept
    lengths: np.ndarray  # tokens per message before the cut


@dataclass(frozen=True)
class Prediction:
    text: str
    label: str  # "ham" or "spam"
    spam_probability: float
    truncated: bool  # only its beginning was read: more tokens than max length (or over MAX_MESSAGE_CHARS)
    unsure: bool = False  # the probability is in the run's "not sure" band: no verdict is given

    @property
    def verdict(self) -> str:
        """"spam", "ham", or "unsure" when the probability is in the run's "not sure" band."""
        return "unsure" if self.unsure else self.label


class Verdicts:
    """What every engine shares: a tokenizer (normalising), the config the model was trained with, its threshold,
    calibration temperature and "not sure" band, and how a person names it. Subclasses give
    :meth:`proba_from_ids`; ``engine`` says which one answers ("torch" or "onnx")."""

    engine = ""

    def __init__(self, tokenizer: Any, config: TrainConfig, threshold: float = 0.5, temperature: float = 1.0,
                 unsure_half_width: float = 0.0, name: str = "") -> None:
        self.tokenizer = tokenizer
        self.config = config
        self.threshold = threshold
        self.temperature = temperature  # fitted on validation (spamcore.evaluation.calibration); 1 = raw
        self.unsure_half_width = unsure_half_width
        self.name = name or config.model  # how the model reads to a person (a saved run: its run and model)

    @property
    def unsure_band(self) -> UnsureBand:
        """Spam probabilities that get "not sure" instead of a verdict: a band around the threshold."""
        return band_around(self.threshold, self.unsure_half_width)

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Tokenise once: ids cut to max length (as the tokenizer's own truncation would cut them) and each
        message's length before the cut, so a verdict and its "only the beginning was read" note share one pass."""
        if len(texts) == 0:  # the fast tokenizer fails on an empty batch
            return Encoded([], np.zeros(0, dtype=np.int64))
        full = self.tokenizer(
            [t[:MAX_MESSAGE_CHARS] for t in texts], add_special_tokens=True, truncation=False, verbose=False,
            return_attention_mask=False, return_token_type_ids=False,
        )["input_ids"]
        m = self.config.max_length
        # [CLS] t1 .. tn [SEP] cut to m tokens keeps [CLS] t1 .. t(m-2) and the closing special token.
        ids = [seq if len(seq) <= m else seq[: m - 1] + seq[-1:] for seq in full]
        return Encoded(ids, np.fromiter((len(seq) for seq in full), dtype=np.int64, count=len(full)))

    def proba_from_ids(self, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        """Spam probability of each row of token ids (as :meth:`encode` returns them), in input order."""
        raise NotImplementedError

    @staticmethod
    def softened(logits: np.ndarray, temperature: float) -> np.ndarray:
        """The spam probability of (B, 2) logits at ``temperature`` (a softmax over two classes, stably)."""
        z = (logits[:, 1].astype(np.float64) - logits[:, 0].astype(np.float64)) / temperature
        return np.exp(-np.logaddexp(0.0, -z))

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Spam probability of each message, in input order."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of messages, not one string")
        return self.proba_from_ids(self.encode(texts).ids, batch_size)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Label and spam probability per message; refuses empty messages with a clear error."""
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise SpamcoreError(f"message {i} is empty; type or paste some text to classify")
        encoded = self.encode(texts)
        probs = self.proba_from_ids(encoded.ids)
        labels = predict_labels(probs, self.threshold)
        unsure = self.unsure_band.contains(probs)
        return [
            Prediction(text, LABEL_NAMES[label], float(p),
                       int(n) > self.config.max_length or len(text) > MAX_MESSAGE_CHARS, bool(u))
            for text, p, label, n, u in zip(texts, probs, labels, encoded.lengths, unsure, strict=True)
        ]

    def token_lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens per message before truncation ([CLS] and [SEP] included)."""
        return self.encode(texts).lengths
