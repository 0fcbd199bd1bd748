"""A run's training history: smoothed step losses, the epoch table, and overfitting made visible (where
validation loss was lowest and where it went up again).

Works on a run's epoch records, as :class:`~spamcore.training.loop.EpochRecord` objects or as the dicts of
``history.json``. Training keeps the weights of the best epoch; early stopping (``TrainConfig.patience``) ends
a run after that many epochs without a new best.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Overfitting:
    best_epoch: int | None  # epoch with the lowest validation loss (the first of equals); None without epochs
    best_val_loss: float | None
    rising_epochs: tuple[int, ...]  # epochs whose validation loss is higher than the epoch before
    epochs_after_best: int  # epochs run after the best one: patience spent so far

    @property
    def overfitting(self) -> bool:
        """Validation loss rose after the best epoch, while training went on."""
        return self.best_epoch is not None and any(e > self.best_epoch for e in self.rising_epochs)


def overfitting_signals(records: Sequence[Any]) -> Overfitting:
    """Best epoch and the epochs where validation loss rose, from epoch records in epoch order.

    Example: val losses 0.5, 0.3, 0.35, 0.4 → ``best_epoch 2, rising_epochs (3, 4), epochs_after_best 2``
    """
    rows = [_as_dict(r) for r in records]
    if not rows:
        return Overfitting(None, None, (), 0)
    epochs = [int(r["epoch"]) for r in rows]
    losses = [float(r["val_loss"]) for r in rows]
    best = min(range(len(rows)), key=lambda i: (losses[i], i))
    rising = tuple(epochs[i] for i in range(1, len(rows)) if losses[i] > losses[i - 1])
    return Overfitting(epochs[best], losses[best], rising, len(rows) - 1 - best)


def as_dicts(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Epoch records (dataclasses or ``history.json`` dicts) as plain dicts."""
    return [dict(_as_dict(r)) for r in records]


def _as_dict(record: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return record


def smooth(values: Sequence[float], weight: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction (as TensorBoard), so early points are not pulled to 0.

    Example: ``smooth([1.0, 1.0, 1.0]).tolist() == [1.0, 1.0, 1.0]``
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    avg = 0.0
    for i, value in enumerate(values):
        avg = weight * avg + (1 - weight) * value
        out[i] = avg / (1 - weight ** (i + 1))
    return out


def smoothing_weight(points: int) -> float:
    """A smoothing weight that suits the number of points (more points, smoother). Example: ``0 < w < 1``."""
    return float(min(0.98, max(0.0, 1 - 10 / max(points, 1))))


def epoch_table(records: Sequence) -> pd.DataFrame:
    """Epoch records (dataclasses or dicts) as a table with readable column names."""
    rows = [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r) for r in records]
    columns = {"epoch": "epoch", "train_loss": "train loss", "val_loss": "validation loss",
               "val_accuracy": "validation accuracy", "val_spam_f1": "validation spam F1", "seconds": "seconds",
               "is_best": "best so far"}
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.rename(columns=columns)


def loss_curves(info) -> tuple[list[float], list[dict], int]:
    """A run's per-step training losses, per-epoch records and steps per epoch (from ``history.json``)."""
    history = info.history()
    losses = [float(loss) for _, loss in history.get("steps", [])]
    train_size = int(info.meta.get("split_sizes", {}).get("train", 0))
    steps_per_epoch = max(1, math.ceil(train_size / info.config.batch_size))
    return losses, list(history.get("epochs", [])), steps_per_epoch
