"""spamcore.teaching.explain: known answers on a bag-of-words toy, completeness on tiny BERTs of both recipes,
word spans."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from conftest import messages_frame
from torch import nn

from spamcore.errors import ConfigError
from spamcore.model.batching import pad_batch, tokenize
from spamcore.model.classifier import SpamClassifier
from spamcore.model.config import recipe_defaults
from spamcore.model.loading import (
    FinetuneClassifier,
    FrozenEncoderClassifier,
    load_encoder,
    load_sequence_classifier,
    load_tokenizer,
    pool,
)
from spamcore.teaching.explain import (
    METHODS,
    Explanation,
    _input_embeddings,
    aggregate_words,
    deletion_curve,
    explain,
    path_nodes,
    segments,
)

MESSAGE = "WINNER! You won £1000 cash, call now"
ODD = "Café  WINNER!!\tyou've won £1000 😀 zzz"


def _config(model_dir, recipe: str = "finetune", **overrides):
    return recipe_defaults(recipe, model=str(model_dir), device="cpu", precision="fp32", max_length=32, **overrides)


def _fit_spam_direction(features: torch.Tensor, labels) -> tuple[torch.Tensor, float]:
    """A logistic regression on sentence features, as the spam row of a 2-way linear layer."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=100, max_iter=1000).fit(features.numpy(), labels)
    return torch.tensor(model.coef_[0], dtype=torch.float32), float(model.intercept_[0])


def _set_spam_row(linear: nn.Linear, weight: torch.Tensor, bias: float) -> None:
    with torch.no_grad():
        linear.weight.zero_()
        linear.bias.zero_()
        linear.weight[1] = weight
        linear.bias[1] = bias


@pytest.fixture(scope="module")
def classifiers(tiny_model_dir) -> dict[str, SpamClassifier]:
    """Tiny BERTs of both recipes whose verdicts depend on the words: a linear head fitted (not trained by
    gradient descent, so it is instant and deterministic) on the hand-written messages' features."""
    tokenizer = load_tokenizer(str(tiny_model_dir))
    frame = messages_frame(1)
    ids, mask = pad_batch(tokenize(tokenizer, list(frame["text"]), 32), tokenizer.pad_token_id)

    encoder = load_encoder(str(tiny_model_dir))
    with torch.no_grad():
        features = pool(encoder(input_ids=ids, attention_mask=mask), mask, "mean")
    head = nn.Linear(32, 2)
    _set_spam_row(head, *_fit_spam_direction(features, frame["label"]))
    frozen = FrozenEncoderClassifier(encoder, head, "mean")

    hf = load_sequence_classifier(str(tiny_model_dir)).eval()
    # The random init (std 0.02) makes BERT's pooled [CLS] output almost constant; larger weights make it
    # depend on the words, so that the classifier has something to attribute.
    torch.manual_seed(0)
    for module in hf.bert.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.3)
    with torch.no_grad():
        features = hf.bert(input_ids=ids, attention_mask=mask).pooler_output
    _set_spam_row(hf.classifier, *_fit_spam_direction(features, frame["label"]))
    finetune = FinetuneClassifier(hf)

    device = torch.device("cpu")
    return {
        "frozen": SpamClassifier(frozen, tokenizer, _config(tiny_model_dir, "frozen"), device),
        "finetune": SpamClassifier(finetune, tokenizer, _config(tiny_model_dir, "finetune"), device),
    }


class BagOfWords(nn.Module):
    """Spam logit = sum of one weight per token (0 for [PAD]/[CLS]/[SEP]): attributions have closed forms."""

    def __init__(self, vocab_size: int, weights: dict[int, float]) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 1)
        with torch.no_grad():
            self.embedding.weight.zero_()
            for token_id, weight in weights.items():
                self.embedding.weight[token_id, 0] = weight

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logit = (self.embedding(input_ids)[..., 0] * attention_mask).sum(1)  # (B,)
        return torch.stack([torch.zeros_like(logit), logit], dim=-1)  # softmax(...)[:, 1] == sigmoid(logit)


TOY_WEIGHTS = {"winner": 2.0, "!": 0.5, "won": 1.0, "£": 0.7, "##0": 0.3, "cash": 1.2, "call": 0.4, "now": -0.6}


@pytest.fixture(scope="module")
def toy(tiny_model_dir) -> SpamClassifier:
    tokenizer = load_tokenizer(str(tiny_model_dir))
    vocab = tokenizer.get_vocab()
    module = BagOfWords(len(vocab), {vocab[t]: w for t, w in TOY_WEIGHTS.items()})
    return SpamClassifier(module, tokenizer, _config(tiny_model_dir), torch.device("cpu"))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _token_weights(explanation: Explanation) -> np.ndarray:
    return np.array([TOY_WEIGHTS.get(t.token, 0.0) for t in explanation.tokens])


# -------------------------------------------------------------------------------------- known answers


def test_integrated_gradients_closed_form_on_a_bag_of_words(toy):
    # f(α) = σ(α·S) with S the sum of token weights, so IG_t = s_t · (σ(S) − σ(0)) / S.
    result = explain(toy, MESSAGE, "integrated_gradients")
    weights = _token_weights(result)
    total = weights.sum()
    expected = weights * (_sigmoid(total) - 0.5) / total
    np.testing.assert_allclose([t.score for t in result.tokens], expected, atol=1e-6)
    assert result.spam_probability == pytest.approx(_sigmoid(total), abs=1e-6)
    assert result.baseline_probability == pytest.approx(0.5, abs=1e-6)
    pound = next(w for w in result.words if w.text == "£1000")
    assert pound.tokens == ("£", "##1", "##0", "##0", "##0")
    assert pound.score == pytest.approx((0.7 + 3 * 0.3) * (_sigmoid(total) - 0.5) / total, abs=1e-6)


def test_occlusion_closed_form_on_a_bag_of_words(toy):
    # Removing word w takes its weights out of the sum: score = σ(S) − σ(S − s_w).
    result = explain(toy, MESSAGE, "occlusion")
    total = _token_weights(result).sum()
    word_weight = {"WINNER": 2.0, "!": 0.5, "You": 0.0, "won": 1.0, "£1000": 0.7 + 3 * 0.3, "cash": 1.2,
                   ",": 0.0, "call": 0.4, "now": -0.6}
    assert [w.text for w in result.words] == list(word_weight)
    for word in result.words:
        assert word.score == pytest.approx(_sigmoid(total) - _sigmoid(total - word_weight[word.text]), abs=1e-6)
    pieces = [t for t in result.tokens if t.token == "##0"]
    assert len(pieces) == 3
    for piece in pieces:  # a piece of a multi-piece word is occluded on its own
        assert piece.score == pytest.approx(_sigmoid(total) - _sigmoid(total - 0.3), abs=1e-6)
    assert result.baseline_probability == pytest.approx(0.5, abs=1e-6)  # [CLS] [SEP] alone: logit 0
    assert result.completeness_gap is None and result.steps is None


def test_aggregate_words_sums_pieces_and_joins_their_spans():
    words, tokens = aggregate_words(
        "win £1000", ["[CLS]", "win", "£100", "##0", "[SEP]"], [None, 0, 1, 1, None],
        [(0, 0), (0, 3), (4, 8), (8, 9), (0, 0)], [0.0, 0.5, 0.25, 0.25, 0.0],
    )
    assert [(w.text, w.start, w.end, w.score, w.tokens) for w in words] == [
        ("win", 0, 3, 0.5, ("win",)), ("£1000", 4, 9, 0.5, ("£100", "##0"))]
    assert [t.word for t in tokens] == [None, 0, 1, 1, None]
    assert tokens[3].start == 8 and tokens[3].end == 9


def test_aggregate_words_takes_given_word_scores_and_checks_lengths():
    words, _ = aggregate_words("a b", ["[CLS]", "a", "b", "[SEP]"], [None, 0, 1, None],
                               [(0, 0), (0, 1), (2, 3), (0, 0)], [0, 1, 2, 0], word_scores=[0.1, 0.2])
    assert [w.score for w in words] == [0.1, 0.2]
    with pytest.raises(ValueError, match="same length"):
        aggregate_words("a", ["[CLS]", "a"], [None], [(0, 0)], [0.0])
    with pytest.raises(ValueError, match="word_scores"):
        aggregate_words("a", ["[CLS]", "a", "[SEP]"], [None, 0, None], [(0, 0), (0, 1), (0, 0)], [0, 1, 0],
                        word_scores=[1.0, 2.0])


def test_path_nodes_known_answer_and_exactness():
    nodes, weights = path_nodes(np.array([0, 0.5, 1]), np.array([0.0, 0.0, 1.0]), 4)
    assert (nodes < 0.5).sum() == 1 and (nodes > 0.5).sum() == 3  # the change is in [0.5, 1]
    scan = np.linspace(0, 1, 9)
    for probs in (np.zeros(9), np.r_[np.zeros(5), np.ones(4)], np.linspace(0, 1, 9) ** 3):
        nodes, weights = path_nodes(scan, probs, 32, minimum=2)
        assert len(nodes) == 32 and np.all((nodes > 0) & (nodes < 1))
        assert weights.sum() == pytest.approx(1.0)
        for degree in range(4):  # two nodes per interval at least: exact up to cubics
            assert (weights * nodes**degree).sum() == pytest.approx(1 / (degree + 1))
    with pytest.raises(ValueError, match="cannot cover"):
        path_nodes(scan, np.zeros(9), 4)


def test_a_sharp_switch_along_the_path_is_still_integrated(toy):
    # Large weights and a [CLS] bias make the toy switch from ham to spam within 1 % of the path, 43 % of the
    # way along (as a fine-tuned BERT does): 32 evenly spread Gauss–Legendre nodes miss a quarter of that
    # (completeness gap 0.26); nodes packed where the first pass saw the switch do not.
    tokenizer = toy.tokenizer
    vocab = tokenizer.get_vocab()
    sharp = BagOfWords(len(vocab), {vocab["winner"]: 200.0, vocab["now"]: -100.0, vocab["[CLS]"]: -43.0})
    classifier = SpamClassifier(sharp, tokenizer, toy.config, torch.device("cpu"))
    result = explain(classifier, MESSAGE, "integrated_gradients")
    assert result.spam_probability - result.baseline_probability == pytest.approx(1.0, abs=1e-9)
    assert abs(result.completeness_gap) < 0.01
    scores = {w.text: w.score for w in result.words}
    # Closed form with the bias c = -43 kept in the baseline: s_t · (σ(c + S) − σ(c)) / S, S = 100.
    assert scores["WINNER"] == pytest.approx(2.0, abs=0.01)
    assert scores["now"] == pytest.approx(-1.0, abs=0.01)


def test_explain_works_under_inference_mode(toy):
    with torch.inference_mode():
        result = explain(toy, MESSAGE, "integrated_gradients")
    assert abs(result.completeness_gap) < 1e-6


# ------------------------------------------------------------------------------------ real BERT paths


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_integrated_gradients_add_up_to_the_prediction(classifiers, recipe):
    result = explain(classifiers[recipe], MESSAGE, "integrated_gradients")
    difference = result.spam_probability - result.baseline_probability
    assert abs(difference) > 0.05  # the check below means something
    total = sum(t.score for t in result.tokens)
    assert total == pytest.approx(difference, abs=2e-3)
    assert result.completeness_gap == pytest.approx(total - difference, abs=1e-9)
    assert sum(w.score for w in result.words) == pytest.approx(total, abs=1e-9)  # [CLS]/[SEP] get exactly 0
    assert all(t.score == 0.0 for t in result.tokens if t.word is None)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_baseline_is_the_message_with_every_word_replaced_by_pad(classifiers, recipe):
    classifier = classifiers[recipe]
    result = explain(classifier, MESSAGE, "integrated_gradients")
    ids = [classifier.tokenizer.pad_token_id if t.word is not None else i
           for i, t in zip(result.input_ids, result.tokens, strict=True)]
    with torch.inference_mode():
        logits = classifier.module(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
    assert result.baseline_probability == pytest.approx(float(torch.softmax(logits, -1)[0, 1]), abs=1e-5)


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
@pytest.mark.parametrize("method", METHODS)
def test_spam_probability_is_the_classifiers(classifiers, recipe, method):
    classifier = classifiers[recipe]
    result = explain(classifier, MESSAGE, method)
    assert result.spam_probability == pytest.approx(classifier.predict_proba([MESSAGE])[0], abs=1e-5)
    assert result.method == method and result.seconds > 0


@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
@pytest.mark.parametrize("method", METHODS)
def test_same_input_same_attributions(classifiers, recipe, method):
    first = explain(classifiers[recipe], MESSAGE, method)
    second = explain(classifiers[recipe], MESSAGE, method)
    assert [t.score for t in first.tokens] == [t.score for t in second.tokens]
    assert first.words == second.words


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_a_message_without_content_tokens_has_no_words_and_zero_scores(classifiers, method, text):
    result = explain(classifiers["finetune"], text, method)
    assert result.words == ()
    assert [t.token for t in result.tokens] == ["[CLS]", "[SEP]"]
    assert all(t.score == 0.0 for t in result.tokens)
    assert segments(result) == ([(text, None)] if text else [])
    if method == "integrated_gradients":
        assert result.completeness_gap == 0.0
        assert result.spam_probability == result.baseline_probability


@pytest.mark.parametrize("method", METHODS)
def test_words_map_back_to_the_original_characters(classifiers, method):
    result = explain(classifiers["frozen"], ODD, method)
    assert [w.text for w in result.words] == ["Café", "WINNER", "!", "!", "you", "'", "ve", "won", "£1000", "😀",
                                              "zzz"]
    for word in result.words:
        assert word.text == ODD[word.start : word.end] and word.text
    pieces = segments(result)
    assert "".join(piece for piece, _ in pieces) == ODD
    assert [w for _, w in pieces if w is not None] == list(result.words)
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)


def test_a_long_message_is_explained_up_to_max_length(classifiers):
    classifier = classifiers["finetune"]
    text = "win cash now " * 20
    result = explain(classifier, text, "occlusion")
    assert result.truncated
    assert len(result.tokens) == classifier.config.max_length
    assert len(result.words) == classifier.config.max_length - 2
    assert "".join(piece for piece, _ in segments(result)) == text
    assert segments(result)[-1][1] is None  # the unseen rest is plain text
    assert not explain(classifier, MESSAGE, "occlusion").truncated


def test_deletion_curve_starts_at_the_prediction_and_falls_on_the_toy(toy):
    result = explain(toy, MESSAGE, "occlusion")
    curve = deletion_curve(toy, result, max_words=3)
    assert len(curve) == 4
    assert curve[0] == pytest.approx(result.spam_probability, abs=1e-6)
    assert np.all(np.diff(curve) < 0)  # the top words all have positive weights
    # Top three words: WINNER (2.0), £1000 (1.6), cash (1.2).
    total = _token_weights(result).sum()
    assert curve[3] == pytest.approx(_sigmoid(total - 4.8), abs=1e-6)
    everything = deletion_curve(toy, result, max_words=100, order=range(len(result.words)))
    assert len(everything) == len(result.words) + 1
    assert everything[-1] == pytest.approx(0.5, abs=1e-6)


def test_strongest_words_and_scale(toy):
    result = explain(toy, MESSAGE, "occlusion")
    assert [w.text for w in sorted(result.words, key=lambda w: -w.score)[:2]] == ["WINNER", "£1000"]
    assert result.scale == pytest.approx(max(abs(w.score) for w in result.words))
    assert explain(toy, "", "occlusion").scale == 1.0


def test_bad_arguments_are_refused(toy):
    with pytest.raises(ConfigError, match="method"):
        explain(toy, MESSAGE, "lime")
    with pytest.raises(ConfigError, match="steps"):
        explain(toy, MESSAGE, "integrated_gradients", steps=0)


def test_the_embedding_hook_is_removed_and_ignores_other_threads(classifiers):
    classifier = classifiers["finetune"]
    embedding = _input_embeddings(classifier.module)
    expected = classifier.predict_proba([MESSAGE, "ok"])
    seen: list[np.ndarray] = []
    started = threading.Event()
    original = embedding.forward

    def forward_and_predict_elsewhere(*args, **kwargs):
        # Runs inside IG's forward pass, with IG's hook registered: another thread must see normal embeddings.
        if not started.is_set():
            started.set()
            worker = threading.Thread(target=lambda: seen.append(classifier.predict_proba([MESSAGE, "ok"])))
            worker.start()
            worker.join()
        return original(*args, **kwargs)

    embedding.forward = forward_and_predict_elsewhere
    try:
        explain(classifier, MESSAGE, "integrated_gradients")
    finally:
        del embedding.forward
    np.testing.assert_allclose(seen[0], expected, atol=1e-6)
    assert not embedding._forward_hooks


@pytest.mark.slow
def test_bundled_minilm_timing_on_a_40_token_message():
    """Measured, not asserted: prints the time per method for the bundled MiniLM (max length 64)."""
    from spamcore.model.config import BUNDLED_MODEL
    from spamcore.model.loading import MLPHead

    message = ("URGENT! You have won a guaranteed £1000 cash prize. To claim, call 09061234567 before 5pm today "
               "or reply STOP now to opt out of all future messages")
    tokenizer = load_tokenizer(BUNDLED_MODEL)
    torch.manual_seed(0)
    module = FrozenEncoderClassifier(load_encoder(BUNDLED_MODEL), MLPHead(384, 512), "cls")
    config = recipe_defaults("finetune", max_length=64, device="cpu", precision="fp32")
    classifier = SpamClassifier(module, tokenizer, config, torch.device("cpu"))
    assert len(tokenizer(message)["input_ids"]) == 40
    for method in METHODS:
        explain(classifier, message, method)
        seconds = sorted(explain(classifier, message, method).seconds for _ in range(3))
        print(f"\n{method}: {seconds[1]:.3f} s median of 3 (40 tokens, bundled MiniLM, this CPU)")
    result = explain(classifier, message, "integrated_gradients")
    assert abs(result.completeness_gap) < 5e-3
