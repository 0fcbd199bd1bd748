"""Verdicts without the training stack (issue 39): a saved classifier exported once to ONNX and run by ONNX Runtime,
its text tokenised by ``tokenizers`` from the run's own ``tokenizer.json`` and read through spamcore's normalisation
and repair view exactly as the torch engine reads it.

Importing torch and transformers costs seconds before a one-shot ``spamcore predict`` can answer; the verdict itself
costs milliseconds. So a verdict's path imports neither once the graph exists: the graph is exported on first use
(torch is imported then, once) and kept, named by the SHA-256 of the weights it was made from — beside a run, or in
the user cache for the ready model and for a run folder that cannot be written — so new weights get a new graph and
an old graph is never used for them. It is written to a temporary name and renamed, so a half-written graph is
never read.

:func:`load_for_verdicts` is the entry every verdict goes through (CLI, serve, the app's Classify, Challenge and
board): ONNX Runtime where the graph can be made and loaded, else torch as before, with one sentence saying why.
``SPAMCORE_ENGINE=torch`` (or ``--engine torch``) asks for torch outright.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spamcore.errors import RunError, SpamcoreError
from spamcore.model.batching import pad_arrays, sorted_batches
from spamcore.model.verdicts import Verdicts

#: The engines a verdict can come from; "auto" is ONNX Runtime with torch as the fallback.
ENGINES = ("auto", "onnx", "torch")
ENGINE_ENV = "SPAMCORE_ENGINE"
#: The ONNX opset the graphs are exported at (supported by every ONNX Runtime since 1.12).
OPSET = 17
INPUTS = ("input_ids", "attention_mask")


class EngineError(SpamcoreError):
    """The fast engine cannot answer for this model (the caller falls back to torch)."""


def chosen_engine(engine: str | None = None) -> str:
    """``engine``, else ``$SPAMCORE_ENGINE``, else "auto"; a clear error for anything else."""
    value = (engine or os.environ.get(ENGINE_ENV, "") or "auto").strip().lower()
    if value not in ENGINES:
        raise SpamcoreError(f"engine must be one of {', '.join(ENGINES)}; got {value!r}")
    return value


# ------------------------------------------------------------------------------------------------ tokenizer


class FastTokenizer:
    """The few calls spamcore makes of a Hugging Face tokenizer, answered by ``tokenizers`` alone from a run's
    ``tokenizer.json`` (transformers' fast tokenizers are this same Rust tokenizer underneath)."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        if not path.is_file():
            raise EngineError(f"{folder} has no tokenizer.json (a run from an older version)")
        self.backend = Tokenizer.from_file(str(path))
        self.backend.no_truncation()
        self.backend.no_padding()
        pad = "[PAD]"
        config = folder / "tokenizer_config.json"
        if config.is_file():
            value = json.loads(config.read_text(encoding="utf-8")).get("pad_token", pad)
            pad = value.get("content", pad) if isinstance(value, dict) else value
        found = self.backend.token_to_id(pad)
        self.pad_token_id = 0 if found is None else found

    def get_vocab(self) -> dict[str, int]:
        return self.backend.get_vocab(with_added_tokens=True)

    def __call__(self, texts: str | Sequence[str], text_pair: Any = None, *, add_special_tokens: bool = True,
                 **_: Any) -> dict[str, list]:
        if text_pair is not None:
            raise EngineError("sentence pairs are not read by the verdict engine")
        single = isinstance(texts, str)
        encoded = self.backend.encode_batch([texts] if single else list(texts), add_special_tokens=add_special_tokens)
        ids = [e.ids for e in encoded]
        return {"input_ids": ids[0] if single else ids}


# ------------------------------------------------------------------------------------------------ the graph


def weights_file(folder: Path, recipe: str) -> Path:
    """The file whose bytes name the graph: the run's weights (the ready model: its delta)."""
    from spamcore.model.ready import DELTA_FILE
    from spamcore.model.recipes import REGISTRY

    delta = folder / DELTA_FILE
    return delta if delta.is_file() else folder / REGISTRY[recipe].weights_file


@functools.cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(path: Path) -> str:
    """The SHA-256 of a weights file (read once per process and file version)."""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def graph_key(folder: Path, recipe: str) -> str:
    """What names a graph: the SHA-256 of the weights, of the architecture (``config.json``) and of the settings that
    shape the module (recipe, base model, pooling, head); for a frozen run, whose encoder is its base model's, that
    model's files too (by size and time: a changed base model gets a new graph)."""
    parts = [weights_digest(weights_file(folder, recipe))]
    architecture = folder / "config.json"
    if architecture.is_file():
        parts.append(hashlib.sha256(architecture.read_bytes()).hexdigest())
    settings = json.loads((folder / "run.json").read_text(encoding="utf-8")).get("config", {})
    parts.append(json.dumps({k: settings.get(k) for k in ("recipe", "model", "pooling", "hidden_units")},
                            sort_keys=True))
    base = Path(str(settings.get("model", ""))).expanduser()
    if recipe == "frozen" and base.is_dir():
        parts += [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sorted(base.iterdir()) if f.is_file()]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def graph_path(folder: Path, recipe: str, is_ready: bool) -> Path:
    """Where the graph of the model in ``folder`` lives (named by :func:`graph_key`): beside a run (when the folder
    can be written), else in the user cache (the ready model, a read-only run)."""
    from spamcore.cache import cache_dir

    name = f"classifier-{graph_key(folder, recipe)}.onnx"
    if not is_ready and os.access(folder, os.W_OK):
        return folder / name
    return cache_dir() / "onnx" / f"{'ready' if is_ready else folder.name}-{name}"


def graph_ready(run: str | os.PathLike[str]) -> bool:
    """Whether the graph of ``run``'s weights exists already (a verdict then needs neither torch nor an export)."""
    from spamcore.model.saved import SavedModel

    try:
        saved = SavedModel.read(run)
        return graph_path(saved.path, saved.config.recipe, saved.is_ready_model).is_file()
    except (OSError, SpamcoreError):
        return False


def export_graph(run_dir: Path, target: Path) -> Path:
    """Export the run's classifier (fp32, on the CPU) to ``target`` through a temporary file renamed at the end.
    Imports torch: paid once per set of weights."""
    from filelock import FileLock

    from spamcore.model.saved import load_classifier

    target.parent.mkdir(parents=True, exist_ok=True)
    with _EXPORTING, FileLock(str(target) + ".lock"):  # torch's exporter is one per process; a graph made once
        if target.is_file():  # made meanwhile by another thread or process
            return target
        return _export(load_classifier(run_dir, device="cpu"), target)


#: torch.onnx.export keeps process-wide state ("in_onnx_export"): two exports at once in one process fail.
_EXPORTING = threading.Lock()


def _export(classifier: Any, target: Path) -> Path:
    import warnings

    import torch

    module = classifier.module.float().eval()
    ids = torch.tensor(classifier.encode(["an example message to trace the graph with"]).ids, dtype=torch.long)
    mask = torch.ones_like(ids)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the exporter's notes on traced control flow: the shapes are dynamic
            torch.onnx.export(module, (ids, mask), str(tmp), input_names=list(INPUTS), output_names=["logits"],
                              dynamic_axes={name: {0: "batch", 1: "tokens"} for name in INPUTS} | {
                                  "logits": {0: "batch"}}, opset_version=OPSET, dynamo=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# ------------------------------------------------------------------------------------------------ the engine


def session_threads() -> int:
    """ONNX Runtime's threads: ``$SPAMCORE_THREADS``, else the machine's cores (at most 8: short messages gain
    nothing from more)."""
    chosen = os.environ.get("SPAMCORE_THREADS", "").strip()
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return max(1, min(8, os.cpu_count() or 1))


class OnnxClassifier(Verdicts):
    """A saved classifier answered by an ONNX Runtime session. Safe to share between threads (ONNX Runtime's
    ``run`` is)."""

    engine = "onnx"
    bf16 = False  # fp32 graphs

    def __init__(self, session: Any, tokenizer: Any, config: Any, threshold: float, temperature: float,
                 unsure_half_width: float, name: str) -> None:
        super().__init__(tokenizer, config, threshold, temperature, unsure_half_width, name)
        self.session = session

    def proba_from_ids(self, ids: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        probs = np.empty(len(ids), dtype=np.float64)
        pad_id = self.tokenizer.pad_token_id or 0
        for batch in sorted_batches([len(s) for s in ids], batch_size):
            input_ids, mask = pad_arrays([ids[i] for i in batch], pad_id)
            (logits,) = self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})
            probs[batch] = self.softened(logits, self.temperature)
        return probs


def open_session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = session_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are for graph authors
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_onnx(run: str | os.PathLike[str], notice: Callable[[str], None] = lambda line: None) -> OnnxClassifier:
    """The run's classifier on ONNX Runtime, its graph exported first when there is none for these weights
    (``notice`` hears one line while it is made). Raises :class:`EngineError` when it cannot be made or loaded."""
    from spamcore.model.saved import SavedModel, known_words_of
    from spamcore.text.normalise import normalising

    info = SavedModel.read(run)
    folder = info.path
    config = info.config
    info.check_weights()
    try:
        tokenizer = normalising(FastTokenizer(folder), config.normalise, known_words_of(folder, config))
        path = graph_path(folder, config.recipe, info.is_ready_model)
        if not path.is_file():
            notice(f"preparing the fast verdict engine for {info.model_name if info.is_ready_model else info.name} "
                   "(once: the model is exported to ONNX)…")
            export_graph(folder, path)
        session = open_session(path)
    except (RunError, EngineError):
        raise
    except Exception as err:  # a failed export or load of any kind: torch answers instead
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EngineError(first[:200]) from None
    return OnnxClassifier(session, tokenizer, config, info.threshold, info.temperature, info.unsure_half_width,
                          info.display_name)


def load_for_verdicts(run: str | os.PathLike[str], engine: str | None = None,
                      notice: Callable[[str], None] = lambda line: None) -> Verdicts:
    """The classifier every verdict asks for: ONNX Runtime where it can answer (``auto``, the default), torch where
    asked or where the fast engine cannot be made (a read-only cache, a full disk, a failed export, a run folder
    from an older version) — then ``notice`` hears one sentence saying so."""
    choice = chosen_engine(engine)
    if choice != "torch":
        try:
            return load_onnx(run, notice)
        except EngineError as err:
            if choice == "onnx":
                raise SpamcoreError(f"the ONNX engine cannot answer for this model: {err}") from None
            notice(f"verdicts come from torch (slower to start): the ONNX engine could not be prepared ({err})")
    from spamcore.model.saved import load_classifier

    return load_classifier(run)
