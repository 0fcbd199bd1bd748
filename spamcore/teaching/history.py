"""Overfitting made visible: where validation loss was lowest and where it went up again.

Works on a run's epoch records, as :class:`~spamcore.train.EpochRecord` objects or as the dicts of
``history.json``. Training keeps the weights of the best epoch; early stopping (``TrainConfig.patience``) ends
a run after that many epochs without a new best.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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


def _as_dict(record: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return record
