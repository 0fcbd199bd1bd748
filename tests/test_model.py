"""spamcore.model: finding and loading models, clear errors, pooling, heads, devices."""

from __future__ import annotations

import shutil
import time
from types import SimpleNamespace

import pytest
import torch

from spamcore.errors import ConfigError, ModelLoadError
from spamcore.model import loading as model_module
from spamcore.model.config import BUNDLED_MODEL
from spamcore.model.loading import (
    FinetuneClassifier,
    FrozenEncoderClassifier,
    MLPHead,
    check_max_length,
    load_encoder,
    load_sequence_classifier,
    load_tokenizer,
    pool,
    resolve_device,
    resolve_model_path,
)
from spamcore.model.precision import cpu_supports_bf16, use_bf16

UNKNOWN_HUB_ID = "spamcore-tests/no-such-model-xyz"


# ------------------------------------------------------------------------------------------ finding


def test_bundled_model_resolves_to_a_model_folder():
    from pathlib import Path

    path = Path(resolve_model_path(BUNDLED_MODEL))
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def test_local_folder_resolves_to_itself(tiny_model_dir):
    assert resolve_model_path(str(tiny_model_dir)) == str(tiny_model_dir)


def test_hub_ids_pass_through():
    assert resolve_model_path("bert-base-uncased") == "bert-base-uncased"
    assert resolve_model_path("google/bert_uncased_L-2_H-128_A-2") == "google/bert_uncased_L-2_H-128_A-2"


@pytest.mark.parametrize("relative", ["./no-such-folder", "missing/deeper/folder"])
def test_missing_local_path(tmp_path, monkeypatch, relative):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_path(relative)
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_path(str(tmp_path / "absent"))


def test_folder_without_config_is_not_a_model_folder(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"\x00")
    with pytest.raises(ModelLoadError, match="not a model folder"):
        resolve_model_path(str(tmp_path))
    with pytest.raises(ModelLoadError, match="not a model folder"):
        resolve_model_path(str(tmp_path / "weights.bin"))


# ------------------------------------------------------------------------------------------ loading


def test_loads_a_local_folder(tiny_model_dir):
    tokenizer = load_tokenizer(str(tiny_model_dir))
    encoder = load_encoder(str(tiny_model_dir))
    assert tokenizer.tokenize("ok lar") == ["ok", "lar"]
    assert encoder.config.hidden_size == 32 and not encoder.training


def test_sequence_classifier_is_labelled_ham_spam(tiny_model_dir):
    classifier = load_sequence_classifier(str(tiny_model_dir))
    assert classifier.config.num_labels == 2
    assert classifier.config.id2label == {0: "ham", 1: "spam"}
    assert classifier.config.label2id == {"ham": 0, "spam": 1}


def test_unknown_hub_id_offline_fails_fast_and_says_so():
    load_tokenizer(BUNDLED_MODEL)  # imports transformers, so that only the failing call is timed
    start = time.perf_counter()
    with pytest.raises(ModelLoadError) as info:
        load_tokenizer(UNKNOWN_HUB_ID)
    assert time.perf_counter() - start < 10  # not minutes of retries
    message = str(info.value)
    assert UNKNOWN_HUB_ID in message and "can't be reached" in message


def test_unknown_hub_id_when_the_hub_does_not_answer(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(model_module, "_hub_reachable", lambda timeout=3.0: False)
    with pytest.raises(ModelLoadError, match="can't be reached"):
        load_encoder(UNKNOWN_HUB_ID)


def test_broken_model_folder_gives_model_load_error(tmp_path):
    (tmp_path / "config.json").write_text("{ this is not json")
    with pytest.raises(ModelLoadError, match="could not load model"):
        load_encoder(str(tmp_path))


def test_missing_local_folder_through_the_loaders(tmp_path):
    for loader in (load_tokenizer, load_encoder, load_sequence_classifier):
        with pytest.raises(ModelLoadError, match="does not exist"):
            loader(str(tmp_path / "gone"))


def test_model_folder_without_tokenizer_files(tiny_model_dir, tmp_path):
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_model_dir / name, tmp_path / name)
    with pytest.raises(ModelLoadError, match="no tokenizer files"):
        load_tokenizer(str(tmp_path))
    assert load_encoder(str(tmp_path)).config.hidden_size == 32  # the weights alone still load


def test_check_max_length(tiny_model_dir):
    config = load_encoder(str(tiny_model_dir)).config  # 128 positions
    check_max_length(128, config)
    with pytest.raises(ConfigError, match="max_length 129 is above this model's limit of 128"):
        check_max_length(129, config)


# ------------------------------------------------------------------------------------------ pooling


def _output(pooler: torch.Tensor | None = None):
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
                           [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])  # (B=2, T=3, H=2)
    return SimpleNamespace(last_hidden_state=hidden, pooler_output=pooler)


def test_pool_mean_ignores_padding():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(_output(), mask, "mean").tolist() == [[2.0, 3.0], [7.0, 8.0]]


def test_pool_cls_uses_the_pooler_output():
    pooler = torch.tensor([[0.5, -0.5], [0.25, 0.75]])
    mask = torch.ones(2, 3, dtype=torch.long)
    assert pool(_output(pooler), mask, "cls").tolist() == pooler.tolist()


def test_pool_cls_without_a_pooler_takes_the_first_token():
    mask = torch.ones(2, 3, dtype=torch.long)
    assert pool(_output(None), mask, "cls").tolist() == [[1.0, 2.0], [5.0, 6.0]]


def test_pool_mean_of_an_all_padding_row_is_zero_not_nan():
    mask = torch.tensor([[0, 0, 0], [1, 0, 0]])
    assert pool(_output(), mask, "mean").tolist() == [[0.0, 0.0], [5.0, 6.0]]


# ----------------------------------------------------------------------------------- heads, modules


def test_mlp_head_is_the_reference_architecture():
    head = MLPHead(384)
    layers = list(head.net)
    assert [type(layer).__name__ for layer in layers] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert (layers[0].in_features, layers[0].out_features, layers[3].out_features) == (384, 512, 2)
    assert layers[2].p == 0.1
    assert head(torch.zeros(3, 384)).shape == (3, 2)


def test_frozen_classifier_trains_only_the_head(tiny_model_dir):
    module = FrozenEncoderClassifier(load_encoder(str(tiny_model_dir)), MLPHead(32, 8), "mean")
    trainable = {name for name, p in module.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith("head.") for name in trainable)
    logits = module(torch.tensor([[2, 5, 3], [2, 3, 0]]), torch.tensor([[1, 1, 1], [1, 1, 0]]))
    assert logits.shape == (2, 2)


def test_finetune_classifier_returns_logits(tiny_model_dir):
    module = FinetuneClassifier(load_sequence_classifier(str(tiny_model_dir)))
    assert all(p.requires_grad for p in module.parameters())
    assert module(torch.tensor([[2, 5, 3]]), torch.tensor([[1, 1, 1]])).shape == (1, 2)


# -------------------------------------------------------------------------------------------- device


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_config_error():
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")


def test_cpu_device():
    assert resolve_device("cpu") == torch.device("cpu")


def test_precision_settings():
    cpu = torch.device("cpu")
    assert use_bf16("fp32", cpu) is False
    assert use_bf16("bf16", cpu) is True
    assert use_bf16("auto", cpu) == cpu_supports_bf16()


def test_loading_prints_no_load_report_or_bar_and_restores_transformers_logging(tiny_model_dir, capfd):
    """A missing head is expected and said in words by spamcore; a server's log must not fill with it."""
    from transformers import AutoModelForMaskedLM
    from transformers.utils import logging

    from spamcore.model.loading import from_pretrained

    logging.set_verbosity_warning()
    logging.enable_progress_bar()
    from_pretrained(AutoModelForMaskedLM, str(tiny_model_dir))
    out, err = capfd.readouterr()
    assert "MISSING" not in out + err and "Loading weights" not in out + err
    assert logging.get_verbosity() == logging.WARNING and logging.is_progress_bar_enabled()
