"""Shared fixtures: a tiny random BERT saved with ``save_pretrained``, small hand-written data, real-data paths.

The tiny model is real ``transformers`` code (BertConfig: hidden 32, 2 layers) with a WordPiece vocabulary
built from the test messages, so every code path that loads "any model id or local path" is exercised
quickly without the bundled MiniLM.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from spamcore.data.messages import BESIDE_CHECKOUT

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("SPAMCORE_DATA", BESIDE_CHECKOUT))

HAM = [
    "Ok lar, see you at home later",
    "Are we still on for lunch today?",
    "I love you, call me when you get home",
    "Sorry I missed your call, will ring you later",
    "Can you pick up some milk on the way home",
    "See you at the cinema at seven",
    "Happy birthday! Hope you have a lovely day",
    "I am on the bus, be there in ten minutes",
    "Did you finish the homework for tomorrow",
    "Thanks for dinner last night, it was great",
    "Mum says hi and asks if you are coming on Sunday",
    "Running late, start without me",
]
SPAM = [
    "WINNER! You have won a 1000 cash prize. Call 09061701461 now to claim",
    "FREE entry to win a new phone! Txt WIN to 80086 now",
    "URGENT! Your mobile number has won a prize. Claim now, call 09066362231",
    "Congratulations, you won a free holiday! Text CLAIM to 87121",
    "Free ringtone! Reply FREE to 85023 now, txt STOP to end",
    "You have been selected for a cash award of 2000. Call now to claim",
    "Win a brand new car! Txt CAR to 80082, free entry",
    "Claim your free prize now! Call 09050000327 urgent",
]


def messages_frame(repeat: int = 1) -> pd.DataFrame:
    """The hand-written messages (label 0 ham, 1 spam), repeated ``repeat`` times with a number appended."""
    rows = []
    for r in range(repeat):
        suffix = f" {r}" if r else ""
        rows += [(t + suffix, 0) for t in HAM] + [(t + suffix, 1) for t in SPAM]
    return pd.DataFrame(rows, columns=["text", "label"])


def _build_vocab() -> list[str]:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words: set[str] = set()
    for text in HAM + SPAM:
        for raw in text.lower().replace("!", " ").replace(",", " ").replace(".", " ").replace("?", " ").split():
            words.add(raw)
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789!.,?'£-:;")
    return specials + sorted(words) + chars + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny random BertModel + WordPiece tokenizer saved like any Hugging Face model folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    vocab = _build_vocab()
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(vocab)})
    tokenizer.save_pretrained(path)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=128, type_vocab_size=2,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    return path


@pytest.fixture()
def small_frame() -> pd.DataFrame:
    """80 hand-written messages: the 12 ham and 8 spam above, 4 times (48 ham, 32 spam)."""
    return messages_frame(repeat=4)


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_file():
        pytest.skip(f"real data not found at {REAL_DATA} (set SPAMCORE_DATA)")
    return REAL_DATA


# The app as it was before the ready model shipped (no run until one is trained), for module-scoped servers too (they
# start before any function's fixture); the ready model's own tests (test_ready_shipped.py, test_installed_app.py)
# take this away.
os.environ["SPAMCORE_READY_MODEL"] = "off"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep the feature cache and downloads of tests out of the user's cache folder."""
    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path_factory.getbasetemp() / "spamcore-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("SPAMCORE_READY_MODEL", "off")  # as above, again for a test that changed it


@pytest.fixture(autouse=True)
def _one_torch_thread(request):
    """Tiny models train fastest on one thread, and 10x faster than on two when the CPU is busy (measured: 0.15 s
    against 1.7 s for 32 steps); tests marked slow run the real model on every core."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session", autouse=True)
def no_trainer_outlives_the_tests(tmp_path_factory):
    """Trainers run in their own process session (they outlive a server by design): kill any a test left."""
    import contextlib
    import json
    import signal

    yield
    for job_file in tmp_path_factory.getbasetemp().rglob("job.json"):
        with contextlib.suppress(OSError, ValueError):
            pid = json.loads(job_file.read_text()).get("pid")
            if pid:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
