"""Real guesses for the pre-training tasks: the top tokens at each masked position from a masked-language-model
head, and the IsNext probability from a next-sentence head.

A checkpoint saved with its pre-training heads (``*ForMaskedLM`` / ``*ForPreTraining``, e.g. ``bert-base-uncased``)
answers with its own heads. The bundled MiniLM ships the encoder alone: MiniLM was distilled from a larger model's
self-attention (never trained to predict words), then tuned for sentence similarity. For it, :func:`train_head`
fits a small MLM head (the standard transform + LayerNorm, the output layer tied to the frozen word embeddings, so
about 0.2 M weights) on the encoder's hidden states at masked positions of the training messages, and reports
top-1/top-5 accuracy on held-out messages beside the score of always guessing the commonest tokens. That score,
not the guesses' look, says how much the head learned.

Masking here puts ``[MASK]`` at every chosen position (no 10 % random / 10 % kept): the page shows the 80/10/10
rule; the head is trained and scored on the case people type in.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from spamcore.errors import ModelLoadError
from spamcore.model.batching import pad_batch, sorted_batches, tokenize
from spamcore.model.loading import from_pretrained, resolve_model_path
from spamcore.model.precision import autocast
from spamcore.runs.store import atomic_write

TOP_K = 5
MAX_LENGTH = 64
HEAD_VERSION = 1  # part of a trained head's file name: bump when the training changes


@dataclass(frozen=True)
class Guess:
    token: str
    probability: float


@dataclass(frozen=True)
class HeadScore:
    """Masked-token accuracy on held-out messages, beside always guessing the commonest training tokens."""

    top1: float
    top5: float
    baseline_top1: float
    baseline_top5: float
    targets: int  # masked tokens scored
    train_targets: int  # masked tokens the head was trained on
    seconds: float  # to train it (encoding included)


def _loaded(loader, model: str):
    """``(model, has_own_heads)``: whether every weight outside the encoder came from the checkpoint."""
    loaded, info = from_pretrained(loader, model, dtype=torch.float32, output_loading_info=True)
    prefix = loaded.base_model_prefix + "."
    missing = [k for k in info.get("missing_keys", ()) if not k.startswith(prefix)]
    return loaded.eval(), not missing


def load_mlm(model: str):
    """The model with an MLM head and whether the head is the checkpoint's own (else freshly initialised)."""
    from transformers import AutoModelForMaskedLM

    return _loaded(AutoModelForMaskedLM, model)


def load_nsp(model: str):
    """The model with its next-sentence head, or None when the checkpoint has none (or the architecture has no
    such task)."""
    from transformers import AutoModelForPreTraining

    if _local_weights_lack(model, "seq_relationship"):  # spares loading a whole model to learn that (MiniLM)
        return None
    try:
        loaded, own = _loaded(AutoModelForPreTraining, model)
    except ModelLoadError:
        return None
    return loaded if own and hasattr(loaded, "cls") and hasattr(loaded.cls, "seq_relationship") else None


def _local_weights_lack(model: str, part: str) -> bool:
    """True when ``model`` is a local folder whose safetensors weights name no tensor containing ``part``."""
    try:
        folder = Path(resolve_model_path(model))
    except ModelLoadError:
        return False  # from_pretrained will say what is wrong
    files = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    if not files:
        return False
    for file in files:
        try:
            with safe_open(str(file), "pt") as handle:
                if any(part in name for name in handle.keys()):  # noqa: SIM118 (keys() is the API)
                    return False
        except (OSError, SafetensorError):
            return False
    return True


@torch.inference_mode()
def is_next_probability(nsp_model, tokenizer, first: str, second: str) -> float:
    """BERT's probability that ``second`` follows ``first`` (label 0 of its NSP head is IsNext)."""
    enc = tokenizer(first, second, return_tensors="pt", truncation=True, max_length=128)
    out = nsp_model(**enc)
    return float(torch.softmax(out.seq_relationship_logits.float(), -1)[0, 0])


@torch.inference_mode()
def guesses(mlm, tokenizer, shown_ids: Sequence[int], positions: Sequence[int], k: int = TOP_K) -> dict[int,
                                                                                                      list[Guess]]:
    """The top ``k`` tokens with their probabilities at each of ``positions`` of one input (ids as the model sees
    them, [CLS]/[SEP] included)."""
    input_ids = torch.tensor([list(shown_ids)])
    logits = mlm(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits[0].float()
    out = {}
    for position in positions:
        probs = torch.softmax(logits[position], -1)
        top = probs.topk(k)
        tokens = tokenizer.convert_ids_to_tokens(top.indices.tolist())
        out[position] = [Guess(t, float(p)) for t, p in zip(tokens, top.values.tolist(), strict=True)]
    return out


# --------------------------------------------------------------------------------------- a head of our own


def mask_batch(ids: Sequence[Sequence[int]], tokenizer, generator: torch.Generator,
               probability: float = 0.15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded ``(input_ids, attention_mask, labels)`` with ``[MASK]`` at a ``probability`` share of the word
    pieces (at least one per message); labels are -100 except at masked positions."""
    input_ids, mask = pad_batch(ids, tokenizer.pad_token_id or 0)
    special = torch.tensor(sorted(tokenizer.all_special_ids))
    candidates = mask.bool() & ~torch.isin(input_ids, special)
    draw = torch.rand(input_ids.shape, generator=generator)
    chosen = candidates & (draw < probability)
    # Messages whose coin flips chose nothing get their lowest-draw candidate: every message teaches something.
    none = candidates.any(1) & ~chosen.any(1)
    if none.any():
        lowest = torch.where(candidates, draw, torch.full_like(draw, 2.0)).argmin(1)
        chosen[none, lowest[none]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    return input_ids.masked_fill(chosen, tokenizer.mask_token_id), mask, labels


def head_parameters(mlm) -> list[torch.nn.Parameter]:
    """The head's own weights: everything outside the encoder except the output layer tied to the input
    embeddings (they stay as pre-trained)."""
    tied = mlm.get_input_embeddings().weight
    prefix = mlm.base_model_prefix + "."
    return [p for n, p in mlm.named_parameters() if not n.startswith(prefix) and p is not tied]


def _head_names(mlm) -> list[str]:
    ids = {id(p) for p in head_parameters(mlm)}
    return [n for n, p in mlm.named_parameters() if id(p) in ids]


@torch.inference_mode()
def _masked_states(mlm, tokenizer, ids: list[list[int]], copies: int, seed: int, bf16: bool):
    """Encoder states and target ids at masked positions, ``copies`` maskings of every message."""
    states, targets = [], []
    encoder = mlm.base_model
    for copy in range(copies):
        generator = torch.Generator().manual_seed(seed + copy)
        for batch in sorted_batches([len(s) for s in ids], 128):
            input_ids, mask, labels = mask_batch([ids[i] for i in batch], tokenizer, generator)
            with autocast(bf16, torch.device("cpu")):
                hidden = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
            chosen = labels != -100
            states.append(hidden[chosen].float())
            targets.append(labels[chosen])
    return torch.cat(states), torch.cat(targets)


def _head_logits(mlm, states: torch.Tensor) -> torch.Tensor:
    return mlm.cls(states) if hasattr(mlm, "cls") else mlm.get_output_embeddings()(states)


def train_head(mlm, tokenizer, texts: Sequence[str], *, epochs: int = 3, copies: int = 2, lr: float = 3e-3,
               seed: int = 0, bf16: bool = False, progress: Callable[[str, float], None] | None = None) -> int:
    """Fit the MLM head of ``mlm`` (encoder frozen) on ``texts``; returns the number of masked tokens trained on.

    The encoder runs once per masking (``copies`` of each message); the head then trains for ``epochs`` passes
    over those states, which is cheap: no gradient ever reaches the encoder.
    """
    if not hasattr(mlm, "cls"):
        raise ModelLoadError(f"training an MLM head is supported for BERT-style models, not {type(mlm).__name__}")
    torch.manual_seed(seed)
    mlm.requires_grad_(False)
    params = head_parameters(mlm)
    for p in params:
        p.requires_grad_(True)
    report = progress or (lambda _stage, _share: None)
    report("encoding the messages", 0.0)
    ids = tokenize(tokenizer, list(texts), MAX_LENGTH)
    states, targets = _masked_states(mlm, tokenizer, ids, copies, seed, bf16)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    mlm.train()
    for epoch in range(epochs):
        order = torch.randperm(len(states), generator=torch.Generator().manual_seed(seed + 100 + epoch))
        for start in range(0, len(order), 256):
            batch = order[start:start + 256]
            with autocast(bf16, torch.device("cpu")):
                logits = _head_logits(mlm, states[batch])
            loss = torch.nn.functional.cross_entropy(logits.float(), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        report(f"training the head, epoch {epoch + 1} of {epochs}", (epoch + 1) / epochs)
    mlm.eval().requires_grad_(False)
    return len(targets)


@torch.inference_mode()
def masked_accuracy(mlm, tokenizer, texts: Sequence[str], seed: int = 1) -> tuple[float, float, int]:
    """Top-1 and top-5 accuracy at one masking of ``texts`` (the same seed, the same masks), and the count."""
    ids = tokenize(tokenizer, list(texts), MAX_LENGTH)
    generator = torch.Generator().manual_seed(seed)
    top1 = top5 = n = 0
    for batch in sorted_batches([len(s) for s in ids], 128):
        input_ids, mask, labels = mask_batch([ids[i] for i in batch], tokenizer, generator)
        logits = mlm(input_ids=input_ids, attention_mask=mask).logits
        chosen = labels != -100
        top = logits[chosen].topk(TOP_K, -1).indices
        truth = labels[chosen]
        top1 += int((top[:, 0] == truth).sum())
        top5 += int((top == truth[:, None]).any(-1).sum())
        n += len(truth)
    return (top1 / n, top5 / n, n) if n else (0.0, 0.0, 0)


def frequency_baseline(tokenizer, train_texts: Sequence[str], texts: Sequence[str], seed: int = 1) -> tuple[float,
                                                                                                            float]:
    """Top-1/top-5 accuracy of always guessing the commonest word pieces of ``train_texts``, on the same masks as
    :func:`masked_accuracy` draws for ``texts``."""
    special = set(tokenizer.all_special_ids)
    counts = Counter(t for seq in tokenize(tokenizer, list(train_texts), MAX_LENGTH) for t in seq if t not in special)
    common = torch.tensor([t for t, _ in counts.most_common(TOP_K)] or [0])
    ids = tokenize(tokenizer, list(texts), MAX_LENGTH)
    generator = torch.Generator().manual_seed(seed)
    top1 = top5 = n = 0
    for batch in sorted_batches([len(s) for s in ids], 128):
        _, _, labels = mask_batch([ids[i] for i in batch], tokenizer, generator)
        truth = labels[labels != -100]
        top1 += int((truth == common[0]).sum())
        top5 += int(torch.isin(truth, common).sum())
        n += len(truth)
    return (top1 / n, top5 / n) if n else (0.0, 0.0)


def fit_and_score(mlm, tokenizer, train_texts: Sequence[str], held_out: Sequence[str], *, bf16: bool = False,
                  progress: Callable[[str, float], None] | None = None, **train_kwargs) -> HeadScore:
    """:func:`train_head` on ``train_texts``, then its accuracy and the frequency baseline on ``held_out``."""
    start = time.perf_counter()
    trained = train_head(mlm, tokenizer, train_texts, bf16=bf16, progress=progress, **train_kwargs)
    seconds = time.perf_counter() - start
    top1, top5, n = masked_accuracy(mlm, tokenizer, held_out)
    base1, base5 = frequency_baseline(tokenizer, train_texts, held_out)
    return HeadScore(top1, top5, base1, base5, n, trained, seconds)


# ------------------------------------------------------------------------------------------------ storage


def head_file(model: str, cache_dir: Path) -> Path:
    """Where a head trained here for ``model`` is kept (one per model and training version)."""
    from spamcore.model.features import model_fingerprint

    key = hashlib.sha256(f"{model_fingerprint(resolve_model_path(model))}|v{HEAD_VERSION}".encode()).hexdigest()
    return cache_dir / f"mlm-head-{key[:24]}.safetensors"


def save_head(mlm, score: HeadScore, path: Path) -> None:
    named = dict(mlm.named_parameters())
    tensors = {n: named[n].detach().contiguous() for n in _head_names(mlm)}
    atomic_write(path, save(tensors, metadata={"score": json.dumps(asdict(score))}))


def load_head(mlm, path: Path) -> HeadScore | None:
    """Put a head saved by :func:`save_head` into ``mlm``; None when there is none (or it is damaged)."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), "pt") as handle:
            score = HeadScore(**json.loads((handle.metadata() or {})["score"]))
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 (no iterator)
    except (OSError, SafetensorError, KeyError, TypeError, ValueError):
        return None
    names = set(_head_names(mlm))
    if set(tensors) != names:
        return None
    named = dict(mlm.named_parameters())
    with torch.no_grad():
        for name, tensor in tensors.items():
            if named[name].shape != tensor.shape:
                return None
            named[name].copy_(tensor)
    return score


def train_and_save(model: str, data_path: str | Path, cache_dir: Path,
                   progress: Callable[[str, float], None] | None = None, mlm=None) -> HeadScore:
    """Train an MLM head for ``model`` on the training split of ``data_path`` (the lab's seeded split), score it
    on the validation split, and keep it in ``cache_dir``. ``mlm``: the model as :func:`load_mlm` returned it,
    when the caller has it already."""
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.model.loading import load_tokenizer
    from spamcore.model.precision import cpu_supports_bf16

    split = split_dataset(read_messages(data_path))
    tokenizer = load_tokenizer(model)
    mlm = mlm if mlm is not None else load_mlm(model)[0]
    score = fit_and_score(mlm, tokenizer, list(split.train["text"]), list(split.validation["text"]),
                          bf16=cpu_supports_bf16(), progress=progress)
    save_head(mlm, score, head_file(model, cache_dir))
    return score


# ------------------------------------------------------------------------------- training it in the background


def log_file(model: str, cache_dir: Path) -> Path:
    return head_file(model, cache_dir).with_suffix(".log")


def _lock_file(model: str, cache_dir: Path) -> Path:
    return head_file(model, cache_dir).with_suffix(".lock")


def _launch_file(model: str, cache_dir: Path) -> Path:
    return head_file(model, cache_dir).with_suffix(".launch.json")


def hold_training_lock(model: str, cache_dir: Path):
    """Called by ``spamcore mlm-head``: mark the head's training alive for as long as this process lives."""
    from spamcore.errors import SpamcoreError
    from spamcore.runs.processes import LockHeld, hold_lock

    try:
        return hold_lock(_lock_file(model, cache_dir))
    except LockHeld:
        raise SpamcoreError(f"a masked-word head for {model} is already training; wait for it to finish") from None


#: Processes this server launched, so that a finished one is reaped rather than left a zombie.
_LAUNCHED: dict[str, object] = {}


def start_background(model: str, data_path: str | Path, cache_dir: Path) -> bool:
    """Start ``spamcore mlm-head`` as its own process, as training jobs are started (the web server only watches
    its log); False when one is already running for this model."""
    import json
    import time

    from spamcore.runs.processes import launch, launcher_prefix

    if head_training_running(model, cache_dir):
        return False
    log = log_file(model, cache_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")  # this training's output only
    started = time.time()
    process = launch([*launcher_prefix(), "mlm-head", "--model", model, "--data", str(data_path),
                      "--cache", str(cache_dir)], log)
    _launch_file(model, cache_dir).write_text(json.dumps({"pid": process.pid, "started": started}))
    _LAUNCHED[str(_lock_file(model, cache_dir))] = process
    return True


def head_training_running(model: str, cache_dir: Path) -> bool:
    import json

    from spamcore.runs.processes import process_alive

    lock = _lock_file(model, cache_dir)
    try:
        launched = json.loads(_launch_file(model, cache_dir).read_text())
        pid, started = int(launched["pid"]), float(launched["started"])
    except (OSError, ValueError, KeyError, TypeError):
        pid, started = None, 0.0
    return process_alive(lock, pid, started, _LAUNCHED.get(str(lock)))


def last_log_line(model: str, cache_dir: Path) -> str:
    try:
        lines = log_file(model, cache_dir).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""
