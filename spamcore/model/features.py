"""Frozen-encoder features, computed once and cached.

In the ``frozen`` recipe the encoder never changes, so its sentence features depend only on the model,
max length, pooling, precision and the messages. They are computed once, kept in memory and on disk
(keyed by a content hash), and every epoch — and every later run with other head settings — trains the
head on them directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from spamcore.model.batching import pad_batch, sorted_batches, tokenize
from spamcore.model.loading import pool
from spamcore.model.precision import autocast

_MEMORY: OrderedDict[str, torch.Tensor] = OrderedDict()
_MEMORY_LOCK = threading.Lock()
_MEMORY_ITEMS = 16


def model_fingerprint(source: str) -> str:
    """Identity of a model for cache keys: its config and weight files' sizes and times when local."""
    path = Path(source)
    if not path.is_dir():
        return source
    parts = [str(path.resolve())]
    for file in sorted(path.iterdir()):
        if file.suffix in (".json", ".safetensors", ".bin", ".txt"):
            stat = file.stat()
            parts.append(f"{file.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return "|".join(parts)


def feature_key(fingerprint: str, max_length: int, pooling: str, bf16: bool, texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([fingerprint, max_length, pooling, bf16]).encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@torch.inference_mode()
def compute_features(
    encoder: torch.nn.Module, tokenizer, texts: Sequence[str], *, max_length: int, pooling: str,
    device: torch.device, bf16: bool, batch_size: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Pooled sentence features (N, H), float32, on the CPU, in the order of ``texts``."""
    ids = tokenize(tokenizer, texts, max_length)
    hidden = encoder.config.hidden_size
    out = torch.empty((len(ids), hidden), dtype=torch.float32)
    done = 0
    for batch in sorted_batches([len(s) for s in ids], batch_size):
        input_ids, mask = pad_batch([ids[i] for i in batch], tokenizer.pad_token_id or 0)
        input_ids, mask = input_ids.to(device), mask.to(device)
        with autocast(bf16, device):
            output = encoder(input_ids=input_ids, attention_mask=mask)
            feats = pool(output, mask, pooling)
        out[torch.as_tensor(batch)] = feats.float().cpu()
        done += len(batch)
        if progress is not None:
            progress(done, len(ids))
    return out


def cached_features(
    encoder: torch.nn.Module, tokenizer, texts: Sequence[str], *, fingerprint: str, max_length: int,
    pooling: str, device: torch.device, bf16: bool, cache_dir: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """:func:`compute_features` through a memory cache and, when ``cache_dir`` is given, a disk cache."""
    # The tokenizer's normalisation changes what the encoder reads: it is part of the key.
    key = feature_key(f"{fingerprint}|{getattr(tokenizer, 'scheme', 'none')}", max_length, pooling, bf16, texts)
    with _MEMORY_LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
    features = _read_disk(cache_dir, key, len(texts))
    if features is None:
        features = compute_features(
            encoder, tokenizer, texts, max_length=max_length, pooling=pooling, device=device, bf16=bf16,
            progress=progress,
        )
        _write_disk(cache_dir, key, features)
    with _MEMORY_LOCK:
        _MEMORY[key] = features
        while len(_MEMORY) > _MEMORY_ITEMS:
            _MEMORY.popitem(last=False)
    return features


def clear_memory_cache() -> None:
    with _MEMORY_LOCK:
        _MEMORY.clear()


def _read_disk(cache_dir: Path | None, key: str, rows: int) -> torch.Tensor | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"{key}.safetensors"
    if not path.is_file():
        return None
    from safetensors.torch import load_file

    try:
        features = load_file(str(path))["features"]
    except Exception:  # a damaged cache file is only a cache miss
        return None
    return features if features.shape[0] == rows else None


def _write_disk(cache_dir: Path | None, key: str, features: torch.Tensor) -> None:
    if cache_dir is None:
        return
    from safetensors.torch import save_file

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        os.close(fd)
        save_file({"features": features.contiguous()}, tmp)
        os.replace(tmp, cache_dir / f"{key}.safetensors")
    except OSError:  # a read-only or full disk only costs the cache
        pass
