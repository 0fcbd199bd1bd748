"""spamcore.evaluation.history: the best epoch and the epochs where validation loss rose."""

from __future__ import annotations

import pytest

from spamcore.evaluation.history import overfitting_signals
from spamcore.training.loop import EpochRecord


def _records(losses: list[float]) -> list[EpochRecord]:
    return [EpochRecord(i, 0.1, loss, 0.9, 0.8, 1.0, False) for i, loss in enumerate(losses, start=1)]


def test_known_answer():
    signals = overfitting_signals(_records([0.5, 0.3, 0.35, 0.4]))
    assert signals.best_epoch == 2 and signals.best_val_loss == 0.3
    assert signals.rising_epochs == (3, 4)
    assert signals.epochs_after_best == 2
    assert signals.overfitting


def test_falling_loss_is_not_overfitting():
    signals = overfitting_signals(_records([0.5, 0.4, 0.3]))
    assert (signals.best_epoch, signals.rising_epochs, signals.epochs_after_best) == (3, (), 0)
    assert not signals.overfitting


def test_a_bump_before_the_best_epoch_is_not_overfitting():
    signals = overfitting_signals(_records([0.5, 0.6, 0.2, 0.2]))
    assert signals.best_epoch == 3  # the first of equal losses
    assert signals.rising_epochs == (2,)
    assert not signals.overfitting


def test_history_json_dicts_work_too():
    rows = [{"epoch": 1, "val_loss": 0.4}, {"epoch": 2, "val_loss": 0.5}]
    assert overfitting_signals(rows).rising_epochs == (2,)


@pytest.mark.parametrize("records", [[], ()])
def test_no_epochs(records):
    signals = overfitting_signals(records)
    assert signals.best_epoch is None and signals.rising_epochs == () and not signals.overfitting
