"""Tokenised messages into padded batches.

Messages are tokenised once, without padding; each batch is padded only to its own longest message
(dynamic padding). For training, batches are grouped by length so that little compute goes to padding,
while their order stays random; for inference, messages are sorted by length and results put back in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # a verdict through ONNX Runtime pads with numpy alone (pad_arrays): torch is not imported here
    import torch


def tokenize(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per message, with [CLS]/[SEP], cut to ``max_length``, not padded."""
    encoded = tokenizer(
        list(texts), add_special_tokens=True, truncation=True, max_length=max_length,
        return_attention_mask=False, return_token_type_ids=False, verbose=False,
    )
    return encoded["input_ids"]


def pad_arrays(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad to the longest sequence. Returns ``input_ids`` and ``attention_mask``, both (B, T) int64 arrays.

    Kept rather than ``transformers.DataCollatorWithPadding``: batches here are lists of id lists chosen by
    length-grouped index batches, with no feature dicts to collate; this is the same dynamic padding in a few
    lines, and the collator would add a tokenizer ``pad`` call per batch on the training hot path.

    Example: ``pad_arrays([[1, 2, 3], [4]], 0)[1].tolist() == [[1, 1, 1], [1, 0, 0]]``
    """
    width = max(len(s) for s in sequences)
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`pad_arrays` as torch tensors.

    Example: ``pad_batch([[1, 2, 3], [4]], 0)[1].tolist() == [[1, 1, 1], [1, 0, 0]]``
    """
    import torch

    ids, mask = pad_arrays(sequences, pad_id)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def training_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, group_by_length: bool = True,
    group_size: int = 50,
) -> list[np.ndarray]:
    """Indices of each batch for one epoch.

    With ``group_by_length``: shuffle, cut into groups of ``group_size`` batches, sort each group by length,
    cut it into batches, then shuffle the batches — similar lengths share a batch, yet every epoch differs.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    if group_by_length:
        chunk = batch_size * group_size
        groups = np.split(order, range(chunk, len(order), chunk))
        order = np.concatenate([g[np.argsort(-lengths[g], kind="stable")] for g in groups]) if len(order) else order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if group_by_length:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def staged_batches(
    lengths: Sequence[int], stages: Sequence[np.ndarray], batch_size: int, rng: np.random.Generator,
    group_by_length: bool = True,
) -> list[np.ndarray]:
    """:func:`training_batches` within each stage (an array of row indices), the stages one after another.

    Example: ``staged_batches(lengths, [copies, originals], 32, rng)`` steps through every augmented copy before
    any message as written; no batch mixes the two.
    """
    lengths = np.asarray(lengths)
    batches: list[np.ndarray] = []
    for rows in stages:
        rows = np.asarray(rows, dtype=int)
        batches += [rows[b] for b in training_batches(lengths[rows], batch_size, rng, group_by_length)]
    return batches


def sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[np.ndarray]:
    """Indices of inference batches, longest messages first (so padding is minimal)."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    for i in range(0, len(order), batch_size):
        yield order[i : i + batch_size]
