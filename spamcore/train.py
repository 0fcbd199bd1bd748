"""The training loop shared by the CLI, the app and the tests.

:func:`train` runs one recipe on a :class:`~spamcore.data.Split`, reports progress as small immutable
records through ``callback``, checks ``stop`` between steps, keeps the weights of the epoch with the lowest
validation loss, and returns them as a ready :class:`~spamcore.predict.SpamClassifier`.

What trains, and how, belongs to the recipe (:mod:`spamcore.recipes`): ``frozen`` computes the encoder's features
once and trains only the head on them; ``finetune`` trains every weight on length-grouped, dynamically padded
batches. The loop itself is the same for both, under bf16 autocast where the hardware supports it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from spamcore.augment import augment_frame
from spamcore.batching import training_batches
from spamcore.config import TrainConfig
from spamcore.corpora import load_extra
from spamcore.data import Split, class_weights
from spamcore.distributed import Runtime
from spamcore.metrics import binary_scores
from spamcore.model import autocast, load_tokenizer, resolve_device, use_bf16
from spamcore.predict import SpamClassifier
from spamcore.recipes import recipe
from spamcore.recipes.context import TaskContext

#: Validation messages scored when a stop lands in the first epoch (the checkpoint then needs a loss fast).
STOP_VALIDATION_LIMIT = 1000


@dataclass(frozen=True)
class StageProgress:
    """A phase before the optimiser steps start (loading the model, encoding features)."""

    stage: str  # "loading", "encoding"
    done: int
    total: int
    elapsed: float  # seconds since training started


@dataclass(frozen=True)
class StepProgress:
    """One optimiser step."""

    epoch: int  # 1-based
    step: int  # 1-based within the epoch
    steps_per_epoch: int
    global_step: int  # 1-based over the whole run
    total_steps: int
    loss: float  # this step's training loss
    running_loss: float  # mean training loss of this epoch so far
    elapsed: float  # seconds since training started


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch (or the part of one that ran before a stop)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    val_spam_f1: float
    seconds: float  # wall time of the epoch, validation included
    is_best: bool  # lowest validation loss so far
    partial: bool = False  # stopped before the epoch's last step


Progress = StageProgress | StepProgress | EpochRecord
ProgressCallback = Callable[[Progress], None]


@dataclass
class TrainResult:
    classifier: SpamClassifier  # weights of the best epoch
    history: list[EpochRecord]
    best_epoch: int
    stopped: bool  # a stop was requested before the last epoch ended
    early_stopped: bool  # patience ran out
    seconds: float
    device: str
    bf16: bool
    trainable_parameters: int
    total_parameters: int
    extra: dict = field(default_factory=dict)


def train(
    config: TrainConfig,
    split: Split,
    *,
    callback: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    on_best: Callable[[SpamClassifier, EpochRecord], None] | None = None,
    feature_cache_dir: Path | None = None,
    report_to: str | None = None,
    log_dir: Path | None = None,
) -> TrainResult:
    """Train ``config.recipe`` on ``split.train``, select by ``split.validation`` loss.

    ``on_best`` is called with the classifier each time validation loss improves (to checkpoint it). Under
    ``accelerate launch`` every process runs this with the same arguments (see :mod:`spamcore.distributed`);
    only the main process calls ``callback`` and ``on_best``. ``report_to`` names Accelerate trackers
    (``tensorboard``, ``mlflow``, ``wandb``) that get the same losses, written under ``log_dir``.
    """
    start = time.perf_counter()
    runtime = Runtime(resolve_device(config.device), report_to, None if log_dir is None else str(log_dir))
    emit = (callback or (lambda _: None)) if runtime.is_main else (lambda _: None)
    on_best = on_best if runtime.is_main else None
    stop = stop or threading.Event()
    device = runtime.device
    bf16 = use_bf16(config.precision, device) and not runtime.accelerate_bf16
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    emit(StageProgress("loading", 0, 1, time.perf_counter() - start))
    if config.augment or config.extra_data:  # the training split only: validation and test stay comparable
        split = dataclasses.replace(split, train=training_frame(split.train, config))
    tokenizer = load_tokenizer(config.model)
    weights = torch.tensor(class_weights(split.train["label"]), dtype=torch.float32) if config.class_weighted else None

    context = TaskContext(device, bf16, emit, start, feature_cache_dir)
    task = recipe(config.recipe).Task(config, split, tokenizer, context)
    emit(StageProgress("loading", 1, 1, time.perf_counter() - start))
    loss_fn = nn.CrossEntropyLoss(weight=None if weights is None else weights.to(device))

    task.train_module = runtime.prepare(task.module)
    params = [p for p in task.module.parameters() if p.requires_grad]
    optimizer = _adamw(task.module, config)
    steps_per_epoch = math.ceil(len(split.train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    scheduler = _scheduler(optimizer, config, total_steps)

    history: list[EpochRecord] = []
    best_loss, best_state, best_epoch = math.inf, None, 0
    stopped = early_stopped = False
    global_step = 0
    labels_train = torch.tensor(split.train["label"].to_numpy(), dtype=torch.long)
    runtime.init_trackers({**config.to_dict(), "processes": runtime.world_size})

    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        task.module.train()
        total, steps_done = 0.0, 0
        batches = training_batches(task.train_lengths, config.batch_size, rng, config.group_by_length)
        for step, batch in enumerate(batches, start=1):
            if runtime.any(stop.is_set()):
                stopped = True
                break
            local = runtime.shard(batch)
            with autocast(bf16, device), runtime.autocast():
                logits = task.forward_train(local)
            loss = loss_fn(logits.float(), labels_train[local].to(device))
            optimizer.zero_grad(set_to_none=True)
            runtime.backward(loss)
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
            optimizer.step()
            scheduler.step()
            value = runtime.mean(float(loss.detach()))
            total += value
            steps_done = step
            global_step += 1
            runtime.log({"train/loss": value, "train/lr": scheduler.get_last_lr()[0]}, global_step)
            emit(StepProgress(epoch, step, steps_per_epoch, global_step, total_steps, value, total / step,
                              time.perf_counter() - start))
        if steps_done == 0:  # stopped before this epoch took a step: nothing new to validate
            break
        if stopped and best_state is not None:
            break  # a stop keeps the best finished epoch; validating the partial one would only delay it
        # A stop in the first epoch still needs a checkpoint: validate on a sample so that it ends in seconds.
        limit = STOP_VALIDATION_LIMIT if stopped else None
        val_loss, val_probs = task.validate(loss_fn, limit)
        scores = binary_scores(split.validation["label"].to_numpy()[: len(val_probs)], val_probs)
        is_best = val_loss < best_loss
        record = EpochRecord(
            epoch, total / steps_done, val_loss, scores["accuracy"], scores["spam_f1"],
            time.perf_counter() - epoch_start, is_best, partial=stopped,
        )
        history.append(record)
        runtime.log({"val/loss": val_loss, "val/accuracy": scores["accuracy"], "val/spam_f1": scores["spam_f1"],
                     "train/epoch_loss": record.train_loss}, global_step)
        if is_best:
            best_loss, best_epoch = val_loss, epoch
            best_state = copy.deepcopy(task.trainable_state())
            if on_best is not None:
                on_best(task.classifier(), record)
        emit(record)
        if stopped:
            break
        if config.patience is not None and epoch - best_epoch >= config.patience:
            early_stopped = True
            break

    runtime.end()
    if best_state is None:
        raise RuntimeError("training stopped before the first step; nothing to keep")
    task.load_trainable_state(best_state)
    classifier = task.classifier()
    # Counted on the whole classifier: in the frozen recipe ``task.module`` is the head alone.
    total_params = sum(p.numel() for p in classifier.module.parameters())
    return TrainResult(
        classifier=classifier, history=history, best_epoch=best_epoch, stopped=stopped,
        early_stopped=early_stopped, seconds=time.perf_counter() - start, device=str(device),
        bf16=bf16 or runtime.accelerate_bf16,
        trainable_parameters=sum(p.numel() for p in params), total_parameters=total_params,
    )


def training_frame(train: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    """The messages the optimiser sees: the training split, plus ``config.extra_data``, plus augmented copies."""
    if config.extra_data:
        train = pd.concat([train[["text", "label"]], load_extra(config.extra_data)], ignore_index=True)
    return augment_frame(train, config.augment.split(","), config.seed) if config.augment else train


def _adamw(module: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW over the trainable weights, biases and LayerNorm weights exempt from weight decay (as the field's
    reference scripts do), fused into one kernel where this torch supports it for the parameters' device."""
    decay, no_decay = [], []
    for param in module.parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)  # 1-D: biases and LayerNorm weights
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        return torch.optim.AdamW(groups, lr=config.lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=config.lr)


def _scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int):
    """transformers' schedule: constant lr, or (``warmup_ratio`` > 0) linear warm-up then linear decay to zero."""
    from transformers import get_scheduler

    if config.warmup_ratio <= 0:
        return get_scheduler("constant", optimizer)
    warmup = max(1, int(total_steps * config.warmup_ratio))
    return get_scheduler("linear", optimizer, num_warmup_steps=warmup, num_training_steps=total_steps)
