"""Data-parallel training through Hugging Face Accelerate: one process, or many under ``accelerate launch``.

``spamcore train`` runs unchanged under ``accelerate launch -m spamcore train ...`` (or ``torchrun``):
Accelerate sets up the process group (gloo on CPUs, NCCL on GPUs), gives each process its device, wraps the
model in DistributedDataParallel and averages gradients. spamcore adds only what the loop needs:

- every process draws the same length-grouped global batches (same seed) and takes its own slice of each, so
  batches stay length-grouped per process and ``batch_size`` stays the *global* batch: the averaged gradient of
  N equal slices is the gradient of the whole batch, and the learning rate keeps its meaning at any N;
- the step's logged loss is the mean over processes, a stop asked of any process stops all of them;
- only the main process reports progress and writes the run (checkpoints, progress file, metrics).

Mixed precision: spamcore's bf16 autocast, chosen per run by ``TrainConfig.precision``; a launch with
``--mixed_precision bf16`` (Accelerate's setting) turns it on too.
"""

from __future__ import annotations

import os
from contextlib import nullcontext

import numpy as np
import torch


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process, from the launcher's environment (``0, 1`` when not launched)."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Whether this process writes the run (rank 0, or not launched at all)."""
    return world()[0] == 0


class Runtime:
    """The training loop's view of Accelerate: device, DDP wrapping, backward, cross-process reductions."""

    def __init__(self, device: torch.device, report_to: str | None = None, project_dir: str | None = None) -> None:
        self.rank, self.world_size = world()
        self.accelerator = None
        if self.world_size > 1 or report_to:
            from accelerate import Accelerator

            self.accelerator = Accelerator(
                cpu=device.type == "cpu", log_with=report_to or None, project_dir=project_dir,
                step_scheduler_with_optimizer=False,  # the loop steps its scheduler once per global step
            )
        self.device = self.accelerator.device if self.world_size > 1 else device
        self.is_main = self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def accelerate_bf16(self) -> bool:
        return self.accelerator is not None and self.accelerator.mixed_precision == "bf16"

    def autocast(self):
        return self.accelerator.autocast() if self.accelerate_bf16 else nullcontext()

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        """The module to run training steps through: DDP-wrapped across processes, else the module itself."""
        return self.accelerator.prepare_model(module) if self.distributed else module

    def shard(self, batch: np.ndarray) -> np.ndarray:
        """This process's slice of a global batch (contiguous, so similar lengths stay together)."""
        return np.array_split(batch, self.world_size)[self.rank] if self.distributed else batch

    def backward(self, loss: torch.Tensor) -> None:
        if self.accelerator is not None:
            self.accelerator.backward(loss)
        else:
            loss.backward()

    def mean(self, value: float) -> float:
        """``value`` averaged over processes."""
        if not self.distributed:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        return float(self.accelerator.reduce(tensor, reduction="mean"))

    def any(self, flag: bool) -> bool:
        """True on every process when ``flag`` is true on any of them (a stop reaches all)."""
        if not self.distributed:
            return flag
        tensor = torch.tensor([1.0 if flag else 0.0], device=self.device)
        return bool(self.accelerator.reduce(tensor, reduction="sum") > 0)

    def init_trackers(self, config: dict) -> None:
        if self.accelerator is not None and self.accelerator.log_with:
            self.accelerator.init_trackers("spamcore", config={k: v for k, v in config.items() if v is not None})

    def log(self, values: dict[str, float], step: int) -> None:
        if self.accelerator is not None and self.accelerator.log_with:
            self.accelerator.log(values, step=step)

    def end(self) -> None:
        if self.accelerator is not None and self.accelerator.log_with:
            self.accelerator.end_training()
