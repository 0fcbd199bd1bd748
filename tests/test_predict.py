"""spamcore.model.classifier: probabilities in input order, labels, truncation flags, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spamcore.errors import SpamcoreError
from spamcore.model.classifier import MAX_MESSAGE_CHARS, SpamClassifier
from spamcore.model.config import recipe_defaults
from spamcore.model.loading import FinetuneClassifier, load_sequence_classifier, load_tokenizer


@pytest.fixture(scope="module")
def classifier(tiny_model_dir) -> SpamClassifier:
    torch.manual_seed(0)
    config = recipe_defaults("finetune", model=str(tiny_model_dir),
                                                   augment="", extra_data="", max_length=8, precision="fp32")
    module = FinetuneClassifier(load_sequence_classifier(str(tiny_model_dir)))
    return SpamClassifier(module, load_tokenizer(str(tiny_model_dir)), config, torch.device("cpu"))


TEXTS = ["ok", "see you at the cinema at seven", "WIN cash", "call me when you get home", "free prize"]


def test_probabilities_are_in_input_order(classifier):
    together = classifier.predict_proba(TEXTS, batch_size=2)  # batches are sorted by length inside
    one_by_one = np.array([classifier.predict_proba([t])[0] for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    assert ((together > 0) & (together < 1)).all()


def test_predict_labels_follow_the_threshold(classifier):
    probs = classifier.predict_proba(TEXTS)
    threshold = float(np.median(probs))
    shifted = SpamClassifier(classifier.module, classifier.tokenizer, classifier.config, classifier.device,
                             threshold=threshold)
    labels = [p.label for p in shifted.predict(TEXTS)]
    assert labels == ["spam" if p >= threshold else "ham" for p in probs]
    assert [p.text for p in shifted.predict(TEXTS)] == TEXTS


def test_truncated_flag(classifier):
    # max_length 8 counts [CLS] and [SEP]: "ok" is 3 tokens, the second message 9.
    assert [p.truncated for p in classifier.predict(TEXTS[:2])] == [False, True]
    assert classifier.token_lengths(TEXTS[:2]).tolist() == [3, 9]


@pytest.mark.parametrize("bad", [[""], ["fine", "   "], ["fine", None]])
def test_empty_messages_are_refused(classifier, bad):
    with pytest.raises(SpamcoreError, match=f"message {len(bad)} is empty"):
        classifier.predict(bad)


def test_a_single_string_is_refused(classifier):
    with pytest.raises(TypeError, match="list of messages"):
        classifier.predict_proba("one message")


def test_no_messages(classifier):
    assert classifier.predict_proba([]).shape == (0,)
    assert classifier.predict([]) == []


def test_very_long_messages_are_cut_before_tokenising(classifier):
    long = "home " * (MAX_MESSAGE_CHARS // 2)
    assert classifier.predict_proba([long]).shape == (1,)
    assert classifier.token_lengths([long])[0] == MAX_MESSAGE_CHARS // 5 + 2


def test_bf16_inference_copy_matches_autocast_and_keeps_the_module_fp32(classifier):
    config = classifier.config.replace(precision="bf16")
    bf16 = SpamClassifier(classifier.module, classifier.tokenizer, config, classifier.device)
    fast = bf16.inference_module()
    assert fast is not bf16.module and fast is bf16.inference_module()  # built once, then reused
    linear = [m for m in fast.modules() if isinstance(m, torch.nn.Linear)]
    assert linear and all(m.weight.dtype == torch.bfloat16 for m in linear)
    assert all(p.dtype == torch.float32 for p in bf16.module.parameters())
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        from spamcore.model.batching import pad_batch, tokenize

        ids, mask = pad_batch(tokenize(classifier.tokenizer, TEXTS[:1], config.max_length), 0)
        expected = torch.softmax(classifier.module(ids, mask).float(), -1)[0, 1].item()
    assert bf16.predict_proba(TEXTS[:1])[0] == pytest.approx(expected, abs=1e-6)


def test_encode_cuts_as_the_tokenizer_would_and_keeps_each_full_length(classifier):
    texts = ["free prize now", "WINNER! You have won a 1000 cash prize. Call now to claim " * 3, "ok"]
    encoded = classifier.encode(texts)
    m = classifier.config.max_length
    assert encoded.ids == classifier.tokenizer(texts, truncation=True, max_length=m)["input_ids"]
    assert encoded.lengths.tolist() == [len(ids) for ids in classifier.tokenizer(texts)["input_ids"]]
    assert [p.truncated for p in classifier.predict(texts)] == [n > m for n in encoded.lengths]
