"""spamcore.model.features:
frozen-encoder features equal a direct forward pass, and are cached in memory and on disk."""

from __future__ import annotations

import pytest
import torch

from spamcore.model import features
from spamcore.model.batching import pad_batch, tokenize
from spamcore.model.loading import load_encoder, load_tokenizer, pool

TEXTS = ["ok lar", "see you at the cinema at seven", "WINNER! Call now", "home", "free entry to win a new phone"]
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def encoder_and_tokenizer(tiny_model_dir):
    return load_encoder(str(tiny_model_dir)), load_tokenizer(str(tiny_model_dir))


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_features_match_a_direct_forward_pass_in_input_order(encoder_and_tokenizer, pooling):
    encoder, tokenizer = encoder_and_tokenizer
    got = features.compute_features(encoder, tokenizer, TEXTS, max_length=25, pooling=pooling, device=CPU,
                                    bf16=False, batch_size=2)
    for i, text in enumerate(TEXTS):  # one message at a time: no padding at all
        ids, mask = pad_batch(tokenize(tokenizer, [text], 25), 0)
        with torch.inference_mode():
            expected = pool(encoder(input_ids=ids, attention_mask=mask), mask, pooling)[0]
        torch.testing.assert_close(got[i], expected, atol=1e-5, rtol=1e-4)
    assert got.shape == (len(TEXTS), 32) and got.dtype == torch.float32


def test_progress_reports_every_batch(encoder_and_tokenizer):
    encoder, tokenizer = encoder_and_tokenizer
    seen = []
    features.compute_features(encoder, tokenizer, TEXTS, max_length=25, pooling="mean", device=CPU, bf16=False,
                              batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_cache_in_memory_and_on_disk(encoder_and_tokenizer, tmp_path, monkeypatch):
    encoder, tokenizer = encoder_and_tokenizer
    features.clear_memory_cache()
    calls = []
    real = features.compute_features

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "compute_features", counting)
    kwargs = dict(fingerprint="tiny", max_length=25, pooling="mean", device=CPU, bf16=False, cache_dir=tmp_path)
    first = features.cached_features(encoder, tokenizer, TEXTS, **kwargs)
    assert len(calls) == 1 and len(list(tmp_path.glob("*.safetensors"))) == 1
    assert features.cached_features(encoder, tokenizer, TEXTS, **kwargs) is first  # memory
    features.clear_memory_cache()
    torch.testing.assert_close(features.cached_features(encoder, tokenizer, TEXTS, **kwargs), first)  # disk
    assert len(calls) == 1
    features.cached_features(encoder, tokenizer, TEXTS, **{**kwargs, "pooling": "cls"})  # another key
    assert len(calls) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_a_damaged_cache_file_is_only_a_miss(encoder_and_tokenizer, tmp_path):
    encoder, tokenizer = encoder_and_tokenizer
    features.clear_memory_cache()
    kwargs = dict(fingerprint="tiny", max_length=25, pooling="mean", device=CPU, bf16=False, cache_dir=tmp_path)
    first = features.cached_features(encoder, tokenizer, TEXTS, **kwargs)
    (cache_file,) = tmp_path.glob("*.safetensors")
    cache_file.write_bytes(b"garbage")
    features.clear_memory_cache()
    torch.testing.assert_close(features.cached_features(encoder, tokenizer, TEXTS, **kwargs), first)


def test_feature_key_depends_on_every_input():
    base = ("fp", 25, "cls", False, ["a", "b"])
    key = features.feature_key(*base)
    assert features.feature_key(*base) == key
    for changed in (("fp2", 25, "cls", False, ["a", "b"]), ("fp", 24, "cls", False, ["a", "b"]),
                    ("fp", 25, "mean", False, ["a", "b"]), ("fp", 25, "cls", True, ["a", "b"]),
                    ("fp", 25, "cls", False, ["ab"]), ("fp", 25, "cls", False, ["b", "a"])):
        assert features.feature_key(*changed) != key


def test_model_fingerprint_changes_when_the_weights_change(tiny_model_dir, tmp_path):
    import shutil

    copy = shutil.copytree(tiny_model_dir, tmp_path / "model")
    before = features.model_fingerprint(str(copy))
    assert features.model_fingerprint("some/hub-id") == "some/hub-id"
    with open(copy / "model.safetensors", "ab") as handle:
        handle.write(b"\x00")
    assert features.model_fingerprint(str(copy)) != before
