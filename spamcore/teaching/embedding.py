"""Where BERT puts each message: the sentence vectors a classifier reads, from the pre-trained encoder and from a
trained run, projected to two dimensions so that what fine-tuning does can be seen.

The vector is the one each recipe's classifier reads: the pooled [CLS] output (``pooling="cls"``) or the token
mean (``"mean"``). A frozen run's encoder is the pre-trained one, so its two maps are the same points; that is the
lesson, not a bug. Each map has its own PCA (numpy SVD, no extra dependency), fitted on the test messages; a typed
message is projected with the same fitted axes, so it lands among them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file, save

from spamcore.model.batching import pad_batch, sorted_batches, tokenize
from spamcore.model.loading import FinetuneClassifier, FrozenEncoderClassifier, pool
from spamcore.model.precision import autocast
from spamcore.runs.store import atomic_write

MAP_VERSION = 1  # part of the cache key: bump when what is stored changes


@dataclass(frozen=True)
class Projection:
    """A fitted 2-D PCA: ``(vectors - mean) @ components.T``."""

    mean: np.ndarray  # (H,)
    components: np.ndarray  # (2, H), unit rows
    explained: np.ndarray  # (2,) share of the variance each axis holds

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        return (np.asarray(vectors, dtype=np.float64) - self.mean) @ self.components.T


def fit_pca(vectors: np.ndarray, dims: int = 2) -> Projection:
    """PCA by SVD of the centred vectors. Each axis's sign is fixed (largest loading positive) so that the same
    vectors always give the same picture. Example: points on a line give ``explained[0] == 1``."""
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError("PCA needs at least two vectors")
    mean = x.mean(axis=0)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    components = vt[:dims].copy()
    if len(components) < dims:  # fewer directions than dims (e.g. H == 1): pad with zero axes
        components = np.vstack([components, np.zeros((dims - len(components), x.shape[1]))])
    signs = np.sign(components[np.arange(dims), np.abs(components).argmax(axis=1)])
    components *= np.where(signs == 0, 1.0, signs)[:, None]
    variance = singular**2
    total = variance.sum()
    explained = np.zeros(dims)
    explained[: min(dims, len(variance))] = variance[:dims] / total if total > 0 else 0.0
    return Projection(mean, components, explained)


def separation(points: np.ndarray, labels: Sequence[int]) -> float:
    """How well the map keeps the classes apart: the share of messages that sit nearer their own class's centre
    than the other's, averaged over ham and spam (so the many ham messages do not drown the spam). 0.5 means
    mixed, 1.0 means apart. Example: two tight clusters far apart give 1.0."""
    points, labels = np.asarray(points, dtype=np.float64), np.asarray(labels)
    if len(set(labels.tolist())) < 2:
        return float("nan")
    centres = np.stack([points[labels == c].mean(axis=0) for c in (0, 1)])
    nearest = np.linalg.norm(points[:, None, :] - centres[None], axis=2).argmin(axis=1)
    return float(np.mean([np.mean(nearest[labels == c] == c) for c in (0, 1)]))


def reading_encoder(module: torch.nn.Module) -> tuple[torch.nn.Module, str]:
    """The encoder inside a classifier module and the pooling its head reads."""
    if isinstance(module, FrozenEncoderClassifier):
        return module.encoder, module.pooling
    if isinstance(module, FinetuneClassifier):
        # Hugging Face sequence classifiers (BERT's) read the pooled [CLS]; pool() falls back to the raw [CLS]
        # state for architectures without a pooler.
        return module.hf.base_model, "cls"
    raise TypeError(f"no encoder known inside {type(module).__name__}")


@torch.inference_mode()
def sentence_vectors(
    encoder: torch.nn.Module, tokenizer, texts: Sequence[str], max_length: int, pooling: str,
    device: torch.device, bf16: bool = False, batch_size: int = 64,
) -> np.ndarray:
    """One vector per message (N, H), as the classifier head would read it, in input order."""
    encoder.eval()
    ids = tokenize(tokenizer, list(texts), max_length)
    hidden = int(getattr(encoder.config, "hidden_size", 0))
    out = np.zeros((len(ids), hidden), dtype=np.float32)
    pad_id = tokenizer.pad_token_id or 0
    for batch in sorted_batches([len(s) for s in ids], batch_size):
        input_ids, mask = pad_batch([ids[i] for i in batch], pad_id)
        input_ids, mask = input_ids.to(device), mask.to(device)
        with autocast(bf16, device):
            output = encoder(input_ids=input_ids, attention_mask=mask)
        out[batch] = pool(output, mask, pooling).float().cpu().numpy()
    return out


@dataclass(frozen=True)
class EmbeddingMap:
    """The test messages on two maps: before (pre-trained encoder) and after (the run's encoder)."""

    before: np.ndarray  # (N, 2)
    after: np.ndarray  # (N, 2)
    before_axes: Projection
    after_axes: Projection
    same_encoder: bool  # a frozen run: the encoder did not change, the two maps are one

    def separations(self, labels: Sequence[int]) -> tuple[float, float]:
        return separation(self.before, labels), separation(self.after, labels)


def build_map(classifier, pretrained: torch.nn.Module | None, texts: Sequence[str]) -> EmbeddingMap:
    """Both maps of ``texts``. ``pretrained`` is the base model's encoder (``load_encoder``); it is not needed
    (may be None) for a frozen run, whose encoder is already the pre-trained one."""
    if len(texts) < 2:
        raise ValueError("a map needs at least two messages")
    encoder, pooling = reading_encoder(classifier.module)
    cfg, device, bf16 = classifier.config, classifier.device, classifier.bf16
    after = sentence_vectors(encoder, classifier.tokenizer, texts, cfg.max_length, pooling, device, bf16)
    same = isinstance(classifier.module, FrozenEncoderClassifier)
    if same:
        before = after
    else:
        if pretrained is None:
            raise ValueError("a fine-tuned run's map needs the pre-trained encoder")
        before = sentence_vectors(pretrained.to(device), classifier.tokenizer, texts, cfg.max_length, pooling,
                                  device, bf16)
    before_axes, after_axes = fit_pca(before), fit_pca(after)
    return EmbeddingMap(before_axes.apply(before), after_axes.apply(after), before_axes, after_axes, same)


def place(classifier, pretrained: torch.nn.Module | None, emap: EmbeddingMap, text: str) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """Where one typed message lands on the before and after maps (each a (2,) point)."""
    encoder, pooling = reading_encoder(classifier.module)
    cfg, device, bf16 = classifier.config, classifier.device, classifier.bf16
    after = sentence_vectors(encoder, classifier.tokenizer, [text], cfg.max_length, pooling, device, bf16)
    before = after if emap.same_encoder else sentence_vectors(
        pretrained.to(device), classifier.tokenizer, [text], cfg.max_length, pooling, device, bf16)
    return emap.before_axes.apply(before)[0], emap.after_axes.apply(after)[0]


# ------------------------------------------------------------------------------------------------ disk cache


def map_key(run_dir: str | os.PathLike[str], texts: Sequence[str]) -> str:
    """A cache key that changes when the run's weights or the messages change."""
    digest = hashlib.sha256(f"v{MAP_VERSION}".encode())
    folder = Path(run_dir).resolve()
    digest.update(str(folder).encode())
    for weights in sorted(folder.glob("*.safetensors")):
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for text in texts:
        digest.update(text.encode("utf-8", "replace") + b"\0")
    return digest.hexdigest()[:32]


def _arrays(emap: EmbeddingMap) -> dict[str, np.ndarray]:
    arrays = {"before": emap.before, "after": emap.after, "same_encoder": np.array([int(emap.same_encoder)])}
    for name, axes in (("before_axes", emap.before_axes), ("after_axes", emap.after_axes)):
        arrays |= {f"{name}.mean": axes.mean, f"{name}.components": axes.components,
                   f"{name}.explained": axes.explained}
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}


def _from_arrays(arrays: dict[str, np.ndarray]) -> EmbeddingMap:
    def axes(name: str) -> Projection:
        return Projection(arrays[f"{name}.mean"], arrays[f"{name}.components"], arrays[f"{name}.explained"])

    return EmbeddingMap(arrays["before"], arrays["after"], axes("before_axes"), axes("after_axes"),
                        bool(arrays["same_encoder"][0]))


def cached_map(run_dir: str | os.PathLike[str], classifier, load_pretrained, texts: Sequence[str],
               cache_dir: Path) -> EmbeddingMap:
    """:func:`build_map` once per run and message list, kept in ``cache_dir`` (safetensors, written atomically).

    ``load_pretrained`` is called only when the map must be computed for a fine-tuned run.
    """
    path = cache_dir / f"map-{map_key(run_dir, texts)}.safetensors"
    if path.is_file():
        try:
            emap = _from_arrays(load_file(str(path)))
            if len(emap.before) == len(texts):
                return emap
        except (OSError, KeyError, ValueError, SafetensorError):
            pass  # a damaged cache file is recomputed
    pretrained = None if isinstance(classifier.module, FrozenEncoderClassifier) else load_pretrained()
    emap = build_map(classifier, pretrained, texts)
    with contextlib.suppress(OSError):  # a read-only cache folder only costs the recomputation
        atomic_write(path, save(_arrays(emap)))
    return emap
