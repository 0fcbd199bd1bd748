"""The training loop shared by the CLI, the app and the tests.

:func:`train` runs one recipe on a :class:`~spamcore.data.messages.Split`, reports progress as small immutable
records through ``callback``, checks ``stop`` between steps, keeps the weights of the epoch with the lowest
validation loss, and returns them as a ready :class:`~spamcore.model.classifier.SpamClassifier`.

What trains, and how, belongs to the recipe (:mod:`spamcore.model.recipes`): ``frozen`` computes the encoder's features
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

from spamcore.data.corpora import load_extra, load_transfer
from spamcore.data.messages import Split, class_weights
from spamcore.evaluation.metrics import binary_scores
from spamcore.model.batching import staged_batches, training_batches
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import TrainConfig
from spamcore.model.loading import load_tokenizer, resolve_device
from spamcore.model.precision import autocast, use_bf16
from spamcore.model.recipes import recipe
from spamcore.model.recipes.context import TaskContext
from spamcore.text.augment import augment_frame
from spamcore.text.normalise import normalising
from spamcore.text.repair import KnownWords
from spamcore.training.distributed import Runtime
from spamcore.training.sampler import PerturbationSampler

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
    ``accelerate launch`` every process runs this with the same arguments (see :mod:`spamcore.training.distributed`);
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
    transfer = load_transfer(config.transfer_data) if config.transfer_data else None
    tokenizer = normalising(load_tokenizer(config.model), config.normalise, known_words(config, split.train, transfer))
    own_rows = len(split.train)  # the training split's messages come first; extra data follows them
    if config.augment or config.extra_data:  # the training split only: validation and test stay comparable
        split = dataclasses.replace(split, train=training_frame(split.train, config, tokenizer.normalise))
    if transfer is not None:  # the teacher's verdict labels what came without a label (with_transfer)
        split = dataclasses.replace(split, train=with_transfer(split.train, transfer, config))
    sampler = fresh_sampler(split.train, config)
    rows = own_rows if config.distil_rows == "own" else len(split.train)
    soft = soft_targets(config, split.train["text"].iloc[:rows], len(split.train))
    if soft is not None and config.distil_rows == "all":
        soft = where_teacher_agrees(soft, split.train["label"].to_numpy())
    weights = torch.tensor(class_weights(split.train["label"]), dtype=torch.float32) if config.class_weighted else None

    def encoding(done: int, total: int) -> None:
        emit(StageProgress("encoding", done, total, time.perf_counter() - start))

    context = TaskContext(device, bf16, encoding, feature_cache_dir)
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
    best = _Best()
    stopped = early_stopped = False
    steps = _Steps(task, runtime, loss_fn, optimizer, scheduler, params, config, bf16, emit, start,
                   torch.tensor(split.train["label"].to_numpy(), dtype=torch.long), steps_per_epoch, total_steps,
                   soft)
    runtime.init_trackers({**config.to_dict(), "processes": runtime.world_size})

    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        if sampler is not None:  # this pass's perturbations, drawn afresh (spamcore.training.sampler)
            task.read(list(sampler.epoch(epoch)["text"]))
        batches = _epoch_batches(task.train_lengths, split.train, config, rng)
        train_loss, stopped = steps.run_epoch(epoch, batches, stop)
        if train_loss is None:  # stopped before this epoch took a step: nothing new to validate
            break
        if stopped and best.state is not None:
            break  # a stop keeps the best finished epoch; validating the partial one would only delay it
        # A stop in the first epoch still needs a checkpoint: validate on a sample so that it ends in seconds.
        val_loss, val_probs = task.validate(loss_fn, STOP_VALIDATION_LIMIT if stopped else None)
        scores = binary_scores(split.validation["label"].to_numpy()[: len(val_probs)], val_probs)
        record = EpochRecord(epoch, train_loss, val_loss, scores["accuracy"], scores["spam_f1"],
                             time.perf_counter() - epoch_start, val_loss < best.loss, partial=stopped)
        history.append(record)
        runtime.log({"val/loss": val_loss, "val/accuracy": scores["accuracy"], "val/spam_f1": scores["spam_f1"],
                     "train/epoch_loss": train_loss}, steps.global_step)
        if record.is_best:
            best.keep(task, record)
            if on_best is not None:
                on_best(task.classifier(), record)
        emit(record)
        if stopped:
            break
        if config.patience is not None and epoch - best.epoch >= config.patience:
            early_stopped = True
            break

    runtime.end()
    if best.state is None:
        raise RuntimeError("training stopped before the first step; nothing to keep")
    task.load_trainable_state(best.state)
    classifier = task.classifier()
    # Counted on the whole classifier: in the frozen recipe ``task.module`` is the head alone.
    total_params = sum(p.numel() for p in classifier.module.parameters())
    return TrainResult(
        classifier=classifier, history=history, best_epoch=best.epoch, stopped=stopped,
        early_stopped=early_stopped, seconds=time.perf_counter() - start, device=str(device),
        bf16=bf16 or runtime.accelerate_bf16,
        trainable_parameters=sum(p.numel() for p in params), total_parameters=total_params,
    )


@dataclass
class _Best:
    """The epoch with the lowest validation loss so far and a copy of its trainable weights."""

    loss: float = math.inf
    epoch: int = 0
    state: dict | None = None

    def keep(self, task, record: EpochRecord) -> None:
        self.loss, self.epoch = record.val_loss, record.epoch
        self.state = copy.deepcopy(task.trainable_state())


@dataclass
class _Steps:
    """The optimiser steps of one run: forward, loss, backward, clip, step, schedule, report."""

    task: object
    runtime: Runtime
    loss_fn: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    params: list
    config: TrainConfig
    bf16: bool
    emit: Callable[[Progress], None]
    start: float
    labels: torch.Tensor
    steps_per_epoch: int
    total_steps: int
    soft: torch.Tensor | None = None  # (rows, 2) softened probabilities to keep; NaN on rows that have none
    global_step: int = 0

    def run_epoch(self, epoch: int, batches: list[np.ndarray], stop: threading.Event) -> tuple[float | None, bool]:
        """One pass over ``batches``: the epoch's mean training loss (None if no step ran) and whether it stopped."""
        self.task.module.train()
        total, done = 0.0, 0
        for step, batch in enumerate(batches, start=1):
            if self.runtime.any(stop.is_set()):
                return (total / done if done else None), True
            value = self.step(batch)
            total, done = total + value, step
            self.emit(StepProgress(epoch, step, self.steps_per_epoch, self.global_step, self.total_steps, value,
                                   total / step, time.perf_counter() - self.start))
        return (total / done if done else None), False

    def step(self, batch: np.ndarray) -> float:
        """One optimiser step on this process's slice of ``batch``; the loss averaged over processes."""
        device = self.runtime.device
        local = self.runtime.shard(batch)
        with autocast(self.bf16, device), self.runtime.autocast():
            logits = self.task.forward_train(local)
        loss = self.loss_fn(logits.float(), self.labels[local].to(device))
        if self.soft is not None:
            loss = loss + self.config.distil_weight * kept_loss(logits.float(), self.soft[local].to(device),
                                                                self.config.distil_temperature)
        self.optimizer.zero_grad(set_to_none=True)
        self.runtime.backward(loss)
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.config.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        value = self.runtime.mean(float(loss.detach()))
        self.global_step += 1
        self.runtime.log({"train/loss": value, "train/lr": self.scheduler.get_last_lr()[0]}, self.global_step)
        return value


def soft_targets(config: TrainConfig, own_texts: pd.Series, rows: int) -> torch.Tensor | None:
    """What the model learns from ``config.distil_from``: that run's probabilities on ``own_texts`` as written (the
    first rows of the training frame: the training split's for a class retrain, every row for a teacher's
    distillation, ``distil_rows``), softened by ``config.distil_temperature``; NaN on the rows after them (a retrain's
    extra data, the new things to learn). None without ``distil_from``.

    The run reads the messages as written while the model in training may read them perturbed
    (spamcore.training.sampler):
    the prediction on the clean text is what the perturbed one should keep (Zhuang & Zuccon's self-teaching)."""
    if not config.distil_from or config.distil_weight == 0:
        return None
    p = np.clip(teacher_probabilities(config.distil_from, list(own_texts)), 1e-6, 1 - 1e-6)
    logits = torch.tensor(np.stack([np.zeros_like(p), np.log(p / (1 - p))], axis=1), dtype=torch.float32)
    out = torch.full((rows, 2), float("nan"))
    out[: len(p)] = torch.softmax(logits / config.distil_temperature, dim=-1)
    return out


def teacher_probabilities(run_dir: str, texts: list[str]) -> np.ndarray:
    """The run's raw spam probabilities (before its calibration, which is for verdicts, not targets) on ``texts``,
    each distinct text read once and remembered in the cache folder: a teacher as large as MPNet takes minutes over a
    transfer set on a laptop, and every seed of a student reads the same texts. ``run_dir`` may name a teacher file
    instead (spamcore.model.teacher_file): its stored judgement, no model loaded."""
    import hashlib

    from spamcore.model.teacher_file import is_teacher_file, teacher_file_probabilities

    if is_teacher_file(run_dir):
        return teacher_file_probabilities(run_dir, texts)

    from spamcore.data.messages import cache_dir
    from spamcore.model.saved import RUN_FILE

    unique = sorted(set(texts))
    run = Path(run_dir).resolve()
    stamp = [str(run), *(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sorted(run.glob("*"))
                         if f.is_file() and (f.suffix == ".safetensors" or f.name == RUN_FILE))]
    key = hashlib.sha256("\n".join([*stamp, *unique]).encode("utf-8")).hexdigest()[:24]
    cached = cache_dir() / "teacher" / f"{key}.npy"
    if cached.is_file():
        p = np.load(cached, allow_pickle=False)
    else:
        from spamcore.model.saved import load_classifier

        teacher = load_classifier(run_dir)
        teacher.temperature = 1.0
        p = np.asarray(teacher.predict_proba(unique), dtype=np.float64)
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, p, allow_pickle=False)
    index = {t: i for i, t in enumerate(unique)}
    return p[[index[t] for t in texts]]


def with_transfer(train: pd.DataFrame, transfer: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    """``train`` with the ``transfer`` messages after it: those written without a label get the teacher's verdict
    (its probability ≥ 0.5), so that the hard loss agrees with the soft one on them."""
    from spamcore.data.corpora import UNLABELED

    labels = transfer["label"].to_numpy().copy()
    missing = labels == UNLABELED
    if missing.any():
        p = teacher_probabilities(config.distil_from, list(transfer["text"][missing]))
        labels[missing] = (p >= 0.5).astype(int)
    rows = pd.DataFrame({"text": list(transfer["text"]), "label": labels.astype(int)})
    return pd.concat([train[["text", "label"]], rows], ignore_index=True)


def where_teacher_agrees(soft: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
    """``soft`` without the targets (NaN) of rows whose label the teacher's verdict contradicts: there the student
    learns the label alone, never the teacher's mistake (a distillation, not a retrain, asks for this)."""
    teacher_says = (soft[:, 1] >= 0.5).numpy()
    wrong = torch.from_numpy((teacher_says != labels.astype(bool)) & ~torch.isnan(soft[:, 0]).numpy())
    out = soft.clone()
    out[wrong] = float("nan")
    return out


def known_words(config: TrainConfig, train: pd.DataFrame, transfer: pd.DataFrame | None) -> KnownWords | None:
    """Every word of the training data as written (the split, the extra and the transfer data), which the repair
    view (scheme ``v4``, spamcore.text.repair) leaves alone; None for the other schemes."""
    if config.normalise != "v4":
        return None
    texts = [*train["text"], *([] if transfer is None else transfer["text"])]
    if config.extra_data:
        texts += list(load_extra(config.extra_data)["text"])
    return KnownWords.of(texts)


def kept_loss(logits: torch.Tensor, soft: torch.Tensor, temperature: float) -> torch.Tensor:
    """Cross-entropy of the softened predictions against ``soft`` on the rows that have targets, scaled by T² so its
    gradients keep their size as T changes (Hinton et al. 2015); 0 when no row of the batch has one.

    Example: logits equal to the teacher's give the teacher's own entropy, the smallest value the loss can take.
    """
    has = ~torch.isnan(soft[:, 0])
    if not bool(has.any()):
        return logits.sum() * 0.0
    log_q = torch.log_softmax(logits[has] / temperature, dim=-1)
    return -(soft[has] * log_q).sum(-1).mean() * temperature**2


def _epoch_batches(lengths: np.ndarray, train: pd.DataFrame, config: TrainConfig,
                   rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: shuffled (grouped by length), or with ``originals_last`` the augmented copies first."""
    if config.originals_last and "augmented" in train:
        copies = train["augmented"].to_numpy()
        return staged_batches(lengths, [np.flatnonzero(copies), np.flatnonzero(~copies)], config.batch_size, rng,
                              config.group_by_length)
    return training_batches(lengths, config.batch_size, rng, config.group_by_length)


def training_frame(train: pd.DataFrame, config: TrainConfig,
                   read: Callable[[str], str] | None = None) -> pd.DataFrame:
    """The messages the optimiser sees: the training split, plus ``config.extra_data`` (``config.extra_reads`` times),
    plus augmented copies when augmentations are fixed copies (``perturb_share`` None).

    ``read`` is how the model reads a text (its normalisation; default: as written). A copy it would read exactly
    as a message already there is left out: most leetspeak copies read as their source once ``v2``/``v3`` have
    spelled them back, and would only cost steps (measured in bench/robustness.py)."""
    if config.extra_data:  # read ``extra_reads`` times a pass (each read perturbed afresh by the sampler)
        extra = load_extra(config.extra_data)
        train = pd.concat([train[["text", "label"]], *[extra] * config.extra_reads], ignore_index=True)
    if not config.augment or config.perturb_share is not None:  # perturbations drawn per read: no copies
        return train
    frame = augment_frame(train, config.augment.split(","), config.seed)
    return drop_copies_read_alike(frame, read or (lambda text: text))


def fresh_sampler(train: pd.DataFrame, config: TrainConfig) -> PerturbationSampler | None:
    """The sampler that perturbs ``train`` afresh at each read, when ``config`` asks for one (else None)."""
    if not config.augment or config.perturb_share is None:
        return None
    return PerturbationSampler(train, config.augment, config.perturb_share, config.seed)


def drop_copies_read_alike(frame: pd.DataFrame, read: Callable[[str], str]) -> pd.DataFrame:
    """``frame`` without the augmented rows that ``read`` turns into the text of an earlier row (fresh index).

    Example: with ``read=str.lower``, a copy "WIN NOW" of "win now" is dropped; originals always stay.
    """
    seen: set[str] = set()
    keep = []
    for text, augmented in zip(frame["text"], frame["augmented"], strict=True):
        as_read = read(text)
        keep.append(not (augmented and as_read in seen))
        seen.add(as_read)
    return frame[np.array(keep, dtype=bool)].reset_index(drop=True)


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
