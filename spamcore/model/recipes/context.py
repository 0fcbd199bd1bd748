"""What the training loop hands a recipe's ``Task``: where to run and how to report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class TaskContext:
    device: torch.device
    bf16: bool  # bf16 autocast for the forward passes
    encoding: Callable[[int, int], None]  # reports (done, total) while a recipe encodes messages up front
    cache_dir: Path | None  # where a recipe may cache work across runs (the frozen encoder's features)
