"""spamcore.teaching.embedding: PCA with known answers, separation, the vectors each recipe's head reads, the
before/after maps of tiny BERTs (fine-tuning moves them, a frozen run's do not move) and the disk cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import messages_frame

from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import recipe_defaults
from spamcore.model.loading import (
    FinetuneClassifier,
    FrozenEncoderClassifier,
    MLPHead,
    load_encoder,
    load_sequence_classifier,
    load_tokenizer,
    pool,
)
from spamcore.teaching.embedding import (
    build_map,
    cached_map,
    fit_pca,
    map_key,
    place,
    reading_encoder,
    sentence_vectors,
    separation,
)


def _classifier(model_dir, recipe: str) -> SpamClassifier:
    config = recipe_defaults(recipe, model=str(model_dir), device="cpu", precision="fp32", max_length=32)
    tokenizer = load_tokenizer(str(model_dir))
    if recipe == "finetune":
        torch.manual_seed(0)
        module = FinetuneClassifier(load_sequence_classifier(str(model_dir)))
    else:
        encoder = load_encoder(str(model_dir))
        module = FrozenEncoderClassifier(encoder, MLPHead(encoder.config.hidden_size, 16), config.pooling)
    return SpamClassifier(module, tokenizer, config, torch.device("cpu"))


def test_pca_finds_the_direction_of_a_line_and_keeps_a_fixed_sign():
    direction = np.array([3.0, 4.0, 0.0]) / 5
    points = np.outer(np.linspace(-2, 2, 9), direction) + np.array([1.0, 1.0, 1.0])
    axes = fit_pca(points)
    assert axes.explained[0] == pytest.approx(1.0)
    assert np.allclose(axes.components[0], direction)  # the largest loading (0.8) is positive
    projected = axes.apply(points)
    assert np.allclose(projected[:, 0], np.linspace(-2, 2, 9))
    assert np.allclose(projected[:, 1], 0.0)
    assert np.allclose(fit_pca(points[::-1]).components, axes.components)


def test_pca_refuses_a_single_vector():
    with pytest.raises(ValueError):
        fit_pca(np.ones((1, 4)))


def test_separation_is_one_for_distant_clusters_and_a_half_for_mixed_ones():
    rng = np.random.default_rng(0)
    ham, spam = rng.normal(0, 0.1, (50, 2)), rng.normal(0, 0.1, (50, 2)) + np.array([5.0, 0.0])
    labels = [0] * 50 + [1] * 50
    assert separation(np.vstack([ham, spam]), labels) == 1.0
    mixed = rng.normal(0, 1, (100, 2))
    assert 0.3 < separation(mixed, labels) < 0.7
    # 10 ham sit in the spam cloud: 40 of 50 ham and all spam are nearer their own centre.
    moved = np.vstack([ham[:40], spam[:10], spam])
    assert separation(moved, labels) == pytest.approx((40 / 50 + 1.0) / 2, abs=0.02)
    assert np.isnan(separation(mixed, [0] * 100))


@pytest.mark.parametrize("recipe", ["finetune", "frozen"])
def test_vectors_are_what_the_head_reads(tiny_model_dir, recipe):
    clf = _classifier(tiny_model_dir, recipe)
    texts = list(messages_frame()["text"][:6])
    encoder, pooling = reading_encoder(clf.module)
    vectors = sentence_vectors(encoder, clf.tokenizer, texts, 32, pooling, clf.device)
    # One message at a time, with no padding, gives the same vectors (batching and sorting change nothing).
    for i, text in enumerate(texts):
        enc = clf.tokenizer(text, return_tensors="pt", truncation=True, max_length=32)
        with torch.inference_mode():
            out = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        expected = pool(out, enc["attention_mask"], pooling)[0].numpy()
        assert np.allclose(vectors[i], expected, atol=1e-5)
    if recipe == "finetune":  # the classification layer reads exactly these vectors
        hf = clf.module.hf.eval()
        logits = hf.classifier(torch.tensor(vectors[:1]))
        enc = clf.tokenizer(texts[0], return_tensors="pt")
        with torch.inference_mode():
            assert torch.allclose(logits, hf(**enc).logits, atol=1e-5)


def test_a_frozen_runs_two_maps_are_one(tiny_model_dir):
    clf = _classifier(tiny_model_dir, "frozen")
    emap = build_map(clf, None, list(messages_frame()["text"]))
    assert emap.same_encoder and np.array_equal(emap.before, emap.after)


def test_fine_tuning_pulls_spam_and_ham_apart_on_the_map(tiny_model_dir):
    frame = messages_frame(repeat=2)
    texts, labels = list(frame["text"]), frame["label"].to_numpy()
    clf = _classifier(tiny_model_dir, "finetune")
    pretrained = load_encoder(str(tiny_model_dir))
    before = build_map(clf, pretrained, texts)
    assert np.allclose(before.before, before.after, atol=1e-4)  # untrained: the run's encoder is the pre-trained one

    # Fine-tune the tiny BERT for real on these messages.
    module = clf.module.train()
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3)
    enc = clf.tokenizer(texts, return_tensors="pt", padding=True)
    y = torch.tensor(labels)
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(module(enc["input_ids"], enc["attention_mask"]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    module.eval()
    after = build_map(clf, pretrained, texts)
    assert np.allclose(after.before, before.before)  # the pre-trained encoder was not touched
    sep_before, sep_after = after.separations(labels)
    assert sep_after > sep_before and sep_after > 0.95

    # A typed message lands where its copy among the test messages sits.
    b, a = place(clf, pretrained, after, texts[3])
    assert np.allclose(b, after.before[3], atol=1e-4) and np.allclose(a, after.after[3], atol=1e-4)


def test_the_map_is_computed_once_per_run_and_recomputed_when_weights_change(tiny_model_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.safetensors").write_bytes(b"one")
    clf = _classifier(tiny_model_dir, "finetune")
    texts = list(messages_frame()["text"])
    loads = []

    def load_pretrained():
        loads.append(1)
        return load_encoder(str(tiny_model_dir))

    first = cached_map(run, clf, load_pretrained, texts, tmp_path / "cache")
    again = cached_map(run, clf, load_pretrained, texts, tmp_path / "cache")
    assert len(loads) == 1 and np.array_equal(first.after, again.after)
    assert np.allclose(again.after_axes.apply(np.zeros((1, 32))), first.after_axes.apply(np.zeros((1, 32))))
    next(iter((tmp_path / "cache").glob("map-*.safetensors"))).write_bytes(b"damaged")
    cached_map(run, clf, load_pretrained, texts, tmp_path / "cache")
    assert len(loads) == 2  # a damaged cache file is recomputed, not an error
    key = map_key(run, texts)
    (run / "model.safetensors").write_bytes(b"two, longer")
    assert map_key(run, texts) != key and map_key(run, texts[:-1]) != map_key(run, texts)


def test_the_maps_words_follow_the_measured_shares():
    from spamcore.app.ui.embedding_map import fine_tuning_words

    assert "pulled spam and ham apart" in fine_tuning_words(0.7, 0.99)
    assert "changed little" in fine_tuning_words(0.93, 0.93)
    assert "mixes the classes more" in fine_tuning_words(0.9, 0.6)
