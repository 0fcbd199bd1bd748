"""How long a training will take on this computer, said before it starts.

A lesson's Train slot has minutes, and laptops differ tenfold (two cores without bf16, or many with AMX). So the
estimate is measured, not assumed: a few optimiser steps of the model on a batch of typical messages, and a few
forward passes, timed once per computer and model (cached beside the precision probe's choice, keyed the same way),
then scaled by the steps and messages the settings will read. ``bench/laptop.py`` prints it beside the measured time.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from spamcore.cache import cache_path, host_key, read_entry, write_entry
from spamcore.model.config import TrainConfig

CACHE_NAME = "step-rate.json"
#: Tokens of a typical training message as the default reads it (the SMS split's mean is 25; chat perturbations add).
TYPICAL_TOKENS = 28
#: Messages the default scores after training besides the test split: the robustness and evasion suites.
SUITE_MESSAGES = 700
#: Loading the model and the data, tokenising, saving: seconds measured on a 2-core laptop.
FIXED_SECONDS = 10.0


@dataclass(frozen=True)
class Rate:
    """Seconds for one optimiser step on a batch, and for a forward pass per message (inference)."""

    step_seconds: float
    forward_seconds_per_message: float


@dataclass(frozen=True)
class Estimate:
    seconds: float
    steps: int
    rate: Rate

    def describe(self) -> str:
        """One line for the Train page. Example: ``about 3 minutes on this computer (272 steps of 0.55 s)``."""
        minutes = self.seconds / 60
        span = f"about {minutes:.0f} minutes" if minutes >= 1.5 else f"about {self.seconds:.0f} seconds"
        return f"{span} on this computer ({self.steps:,} steps of {self.rate.step_seconds:.2f} s)"


def reads_per_epoch(config: TrainConfig, train_rows: int, extra_rows: int) -> int:
    """Messages one pass reads: the split and the extra data, times the copies when augmentations are fixed copies
    (before issue 31) rather than drawn per read."""
    rows = train_rows + extra_rows
    if config.augment and config.perturb_share is None:
        rows *= 1 + len(config.augment.split(","))
    return rows


def estimate(config: TrainConfig, data_rows: int, *, rate: Rate | None = None,
             cache_dir: Path | None = None) -> Estimate:
    """The time ``config`` will take on ``data_rows`` messages (the 70 / 15 / 15 split), on this computer."""
    from spamcore.data.corpora import load_extra

    rows = min(data_rows, config.max_rows or data_rows)
    train_rows, val_rows, test_rows = round(rows * 0.7), round(rows * 0.15), round(rows * 0.15)
    try:
        extra = len(load_extra(config.extra_data)) * config.extra_reads if config.extra_data else 0
    except Exception:  # an extra file that does not read yet: the estimate leaves it out
        extra = 0
    rate = rate or measured_rate(config, cache_dir=cache_dir)
    per_message = rate.forward_seconds_per_message
    if config.recipe == "frozen":  # features once, then a head that costs next to nothing per step
        steps = math.ceil(train_rows / config.batch_size) * config.epochs
        seconds = (train_rows + val_rows + test_rows + SUITE_MESSAGES) * per_message
    else:
        steps = math.ceil(reads_per_epoch(config, train_rows, extra) / config.batch_size) * config.epochs
        seconds = steps * rate.step_seconds + (val_rows * config.epochs + test_rows + SUITE_MESSAGES) * per_message
    return Estimate(FIXED_SECONDS + seconds, steps, rate)


_RATES: dict[str, Rate] = {}
_LOCK = threading.Lock()


def measured_rate(config: TrainConfig, *, cache_dir: Path | None = None) -> Rate:
    """The step and forward rate of ``config``'s model on this computer: from this process, the cache file, or
    measured now (about five seconds on two cores) and cached."""
    key = _key(config)
    with _LOCK:
        if key in _RATES:
            return _RATES[key]
        cached = _read(cache_dir, key)
        rate = cached or _measure(config)
        _RATES[key] = rate
        if cached is None:
            _write(cache_dir, key, rate)
        return rate


def known_rate(config: TrainConfig, *, cache_dir: Path | None = None) -> Rate | None:
    """The rate of ``config``'s model on this computer if it was measured before (this process or the cache), else
    None: never measures (for a panel polled every second)."""
    key = _key(config)
    with _LOCK:
        return _RATES.get(key) or _read(cache_dir, key)


def record_pace(config: TrainConfig, seconds_per_step: float, *, cache_dir: Path | None = None) -> None:
    """Keep a finished training's own pace (its wall time over its steps, validation and loading included) as the
    step rate of its settings on this computer: a probe of a few steps measured while something else ran would
    otherwise say "16 minutes" for ever. Never fails a run: a cache that cannot be written is skipped."""
    if config.recipe != "finetune" or not seconds_per_step > 0:
        return
    key = _key(config)
    try:
        with _LOCK:
            known = _RATES.get(key) or _read(cache_dir, key)
            forward = known.forward_seconds_per_message if known else 0.0
            rate = Rate(round(seconds_per_step, 4), forward)
            _RATES[key] = rate
            _write(cache_dir, key, rate)
    except Exception:
        pass


def _key(config: TrainConfig) -> str:
    import torch

    from spamcore.model.loading import resolve_device

    return (f"{host_key(resolve_device(config.device))} | {config.model} | {config.recipe} | batch "
            f"{config.batch_size} | {config.precision} | frozen embeddings {config.freeze_embeddings} | torch "
            f"{torch.get_num_threads()}")


def _measure(config: TrainConfig, steps: int = 4) -> Rate:
    """Time ``steps`` optimiser steps (after one warm-up) and forward passes on random typical-length batches."""
    import torch

    from spamcore.model.loading import FinetuneClassifier, load_sequence_classifier, resolve_device
    from spamcore.model.precision import autocast, use_bf16

    device = resolve_device(config.device)
    bf16 = use_bf16(config.precision, device)
    hf = load_sequence_classifier(config.model)
    if config.freeze_embeddings:
        hf.get_input_embeddings().weight.requires_grad_(False)
    module = FinetuneClassifier(hf).to(device).train()
    optimizer = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-5)
    generator = torch.Generator().manual_seed(0)
    vocab = hf.config.vocab_size
    ids = torch.randint(vocab // 4, vocab, (config.batch_size, TYPICAL_TOKENS), generator=generator).to(device)
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 2, (config.batch_size,), generator=generator).to(device)
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        with autocast(bf16, device):
            logits = module(ids, mask)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    module.eval()
    forward = []
    with torch.inference_mode():
        for _ in range(3):
            start = time.perf_counter()
            with autocast(bf16, device):
                module(ids, mask)
            forward.append(time.perf_counter() - start)
    return Rate(round(sorted(times[1:])[len(times[1:]) // 2], 4), round(min(forward) / config.batch_size, 5))


def _read(cache_dir: Path | None, key: str) -> Rate | None:
    entry = read_entry(cache_path(CACHE_NAME, cache_dir), key)
    try:
        return Rate(**entry) if entry is not None else None
    except TypeError:
        return None


def _write(cache_dir: Path | None, key: str, rate: Rate) -> None:
    write_entry(cache_path(CACHE_NAME, cache_dir), key, asdict(rate))
