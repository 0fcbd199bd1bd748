"""What the training loop hands a recipe's ``Task``: where to run and how to report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch


@dataclass(frozen=True)
class TaskContext:
    device: torch.device
    bf16: bool  # bf16 autocast for the forward passes
    emit: Callable[[Any], None]  # progress callback (stages such as "encoding")
    start: float  # perf_counter() when training started
    cache_dir: Path | None  # where a recipe may cache work across runs (the frozen encoder's features)
