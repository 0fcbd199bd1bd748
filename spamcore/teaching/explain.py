"""Why a verdict: how much each word of a message pushed its spam probability up or down.

Two methods, both in the same unit (spam probability, so scores of the two are comparable):

``integrated_gradients`` (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks")
    Walks in a straight line from a *baseline* input to the message, in the space of the word embeddings, and
    adds up the gradient of the spam probability along the way. The baseline is the same sequence with every
    content token replaced by [PAD] ([CLS] and [SEP] kept), so a score answers "how much does this token's
    embedding move the prediction away from an empty message of the same length". The scores add up to
    ``p(message) - p(baseline)`` (*completeness*); ``Explanation.completeness_gap`` says how far the numerical
    integral is from that. Two batched passes: a forward-only scan of 9 points finds where along the path the
    probability changes, then ``steps`` Gauss–Legendre nodes, packed there (:func:`path_nodes`), get one
    forward and one backward pass. A fine-tuned model switches from ham to spam within a few % of the path;
    32 evenly spread nodes left a median completeness gap of 0.47 there, the packed ones 0.005.
``occlusion``
    Removes one word at a time and measures the drop in spam probability: ``p(message) - p(message without
    the word)``. One batched forward pass; simple to explain, blind to words that only matter together.

Words are the tokenizer's own pre-tokenised words (``word_ids``): whitespace-separated, with punctuation as
words of its own ("WIN!" is "win" and "!"); a word's score is the sum of its WordPiece pieces' scores (IG) or
the effect of removing all its pieces at once (occlusion). Every word carries its character span in the
original text, so a front end can highlight the original characters (see :func:`segments`) and escape them
itself: nothing here produces HTML.

The measured speed and faithfulness of both methods (``python bench/explain_quality.py``) are in the README,
section "Why a verdict".

Occlusion deletes words exactly as the deletion curve does, which favours it at k = 1 (a tie there); from
k = 3 on integrated gradients removes more of the spam probability on the fine-tuned run and as much on the
frozen one, both are well under 2 s, and IG's token scores add up to the prediction: it is
:data:`DEFAULT_METHOD`. Occlusion stays as the simpler, gradient-free method to compare with.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from spamcore.errors import ConfigError, SpamcoreError
from spamcore.model.batching import pad_batch
from spamcore.model.classifier import MAX_MESSAGE_CHARS, SpamClassifier

METHODS: tuple[str, ...] = ("integrated_gradients", "occlusion")
#: Chosen by the numbers in the module docstring: more faithful from k = 3 words on, under 2 s.
DEFAULT_METHOD = "integrated_gradients"
DEFAULT_STEPS = 32
MAX_STEPS = 512
#: Intervals of IG's first, forward-only pass along the path (see :func:`path_nodes`).
SCAN_INTERVALS = 8
NODES_PER_INTERVAL = 2  # measured: with 1, a smooth (frozen-recipe) path integrates 3x worse


@dataclass(frozen=True)
class TokenAttribution:
    """One input position: a WordPiece token and its share of the spam probability."""

    position: int  # index in the model input ([CLS] is 0)
    token: str  # WordPiece as the tokenizer spells it, e.g. "##0"
    word: int | None  # index into Explanation.words; None for [CLS]/[SEP]
    start: int  # character span in Explanation.text (0, 0 for [CLS]/[SEP])
    end: int
    score: float  # > 0 pushes towards spam, < 0 towards ham (spam-probability units)


@dataclass(frozen=True)
class WordAttribution:
    """One word of the message, as characters ``text[start:end]`` of the original message."""

    text: str
    start: int
    end: int
    score: float  # > 0 pushes towards spam, < 0 towards ham (spam-probability units)
    tokens: tuple[str, ...]  # its WordPiece pieces, e.g. ("£100", "##0")


@dataclass(frozen=True)
class Explanation:
    """Attributions of one message's spam probability."""

    text: str  # the message as given (the model only saw the part the tokens cover)
    method: str  # "occlusion" or "integrated_gradients"
    spam_probability: float  # p(message), fp32
    baseline_probability: float  # p(no words): IG its [PAD] baseline, occlusion just [CLS] [SEP]
    words: tuple[WordAttribution, ...]  # in text order
    tokens: tuple[TokenAttribution, ...]  # every input position, [CLS]/[SEP] included
    input_ids: tuple[int, ...]
    truncated: bool  # the message had more tokens than max length; later words were not seen
    seconds: float
    steps: int | None = None  # IG only: points of the path integral
    completeness_gap: float | None = None  # IG only: sum(token scores) - (p(message) - p(baseline))

    @property
    def scale(self) -> float:
        """Largest absolute word score (1.0 when there is none): divide by it for a -1..1 colour scale."""
        largest = max((abs(w.score) for w in self.words), default=0.0)
        return largest if largest > 0 else 1.0

# ---------------------------------------------------------------------------------------------- public
_EXPLAINING = threading.Lock()



def explain(
    classifier: SpamClassifier, text: str, method: str = DEFAULT_METHOD, *, steps: int = DEFAULT_STEPS
) -> Explanation:
    """Attribute ``classifier``'s spam probability of ``text`` to its words and tokens.

    A message without content tokens (empty, or only characters the tokenizer drops) has no words and every
    token score 0. Computed in fp32 whatever the classifier's precision, so ``spam_probability`` may differ
    from :meth:`SpamClassifier.predict_proba` under bf16 in the third decimal.
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"steps must be a whole number between 1 and {MAX_STEPS}; got {steps!r}")
    if not isinstance(text, str):
        raise SpamcoreError(f"a message must be text; got {type(text).__name__}")
    start = time.perf_counter()
    # Words are cut from the text the model reads (its run's normalisation applied), so the view shows that text.
    normalise = getattr(classifier.tokenizer, "normalise", None)
    text = normalise(text) if normalise is not None else text
    encoded = _encode(classifier, text)
    # One explanation at a time per process: each adds and removes a forward hook on the shared model, and a class
    # of students asking at once would add and remove them while another thread's pass walks the hooks.
    with _EXPLAINING:
        if method == "integrated_gradients":
            token_scores, p_x, p_base = _integrated_gradients(classifier, encoded, steps)
            word_scores = None
            gap = float(token_scores.sum() - (p_x - p_base))
        else:
            token_scores, word_scores, p_x, p_base = _occlusion(classifier, encoded)
            gap = None
    words, tokens = aggregate_words(
        text, encoded.tokens, encoded.word_ids, encoded.offsets, token_scores, word_scores=word_scores
    )
    return Explanation(
        text=text, method=method, spam_probability=p_x, baseline_probability=p_base, words=words, tokens=tokens,
        input_ids=tuple(encoded.ids), truncated=encoded.truncated, seconds=time.perf_counter() - start,
        steps=steps if method == "integrated_gradients" else None, completeness_gap=gap,
    )


def aggregate_words(
    text: str,
    tokens: Sequence[str],
    word_ids: Sequence[int | None],
    offsets: Sequence[tuple[int, int]],
    token_scores: Sequence[float],
    word_scores: Sequence[float] | None = None,
) -> tuple[tuple[WordAttribution, ...], tuple[TokenAttribution, ...]]:
    """Group WordPiece scores into words by the tokenizer's ``word_ids``; spans from its ``offsets``.

    A word's score is the sum of its pieces' scores unless ``word_scores`` (one per word, in order) is given.
    Positions with ``word_ids`` None ([CLS]/[SEP]) belong to no word.

    Example: ``aggregate_words("win £1000", ["[CLS]", "win", "£100", "##0", "[SEP]"], [None, 0, 1, 1, None],
    [(0, 0), (0, 3), (4, 8), (8, 9), (0, 0)], [0, .5, .25, .25, 0])[0][1]`` is
    ``WordAttribution("£1000", 4, 9, 0.5, ("£100", "##0"))``
    """
    if not len(tokens) == len(word_ids) == len(offsets) == len(token_scores):
        raise ValueError("tokens, word_ids, offsets and token_scores must have the same length")
    # The tokenizer numbers words from the start of the text; truncation may leave a gap-free prefix of them,
    # but renumber anyway so that Explanation.words is dense.
    order = sorted({w for w in word_ids if w is not None})
    index = {w: i for i, w in enumerate(order)}
    if word_scores is not None and len(word_scores) != len(order):
        raise ValueError(f"word_scores has {len(word_scores)} values for {len(order)} words")
    pieces: list[list[int]] = [[] for _ in order]
    token_rows = []
    for position, (token, word, (start, end), score) in enumerate(
        zip(tokens, word_ids, offsets, token_scores, strict=True)
    ):
        if word is None:
            token_rows.append(TokenAttribution(position, token, None, 0, 0, float(score)))
            continue
        pieces[index[word]].append(position)
        token_rows.append(TokenAttribution(position, token, index[word], int(start), int(end), float(score)))
    words = []
    for i, positions in enumerate(pieces):
        start = min(token_rows[p].start for p in positions)
        end = max(token_rows[p].end for p in positions)
        score = float(word_scores[i]) if word_scores is not None else float(sum(token_rows[p].score for p in positions))
        words.append(WordAttribution(text[start:end], start, end, score, tuple(token_rows[p].token for p in positions)))
    return tuple(words), tuple(token_rows)


def segments(explanation: Explanation) -> list[tuple[str, WordAttribution | None]]:
    """The whole text cut into pieces, each a word (with its attribution) or the text between words (None).

    Joining the pieces gives back ``explanation.text`` exactly; a front end escapes each piece and colours the
    words. Example: for "Win now!" → ``[("Win", w0), (" ", None), ("now", w1), ("!", w2)]``
    """
    out: list[tuple[str, WordAttribution | None]] = []
    cursor = 0
    for word in explanation.words:
        if word.start > cursor:
            out.append((explanation.text[cursor : word.start], None))
        out.append((explanation.text[word.start : word.end], word))
        cursor = max(cursor, word.end)
    if cursor < len(explanation.text):
        out.append((explanation.text[cursor:], None))
    return out


def deletion_curve(
    classifier: SpamClassifier, explanation: Explanation, max_words: int = 5, order: Sequence[int] | None = None
) -> np.ndarray:
    """Spam probability after removing the top 1, 2, ... ``max_words`` words (highest score first).

    Element 0 is the probability with every word present. A faithful explanation makes the curve fall fast.
    ``order`` (word indices) replaces the ranking, e.g. a random order as a reference curve.
    """
    ranking = list(order) if order is not None else sorted(range(len(explanation.words)),
                                                            key=lambda i: -explanation.words[i].score)
    ranking = ranking[:max_words]
    word_of = [t.word for t in explanation.tokens]
    rows = []
    for k in range(len(ranking) + 1):
        removed = set(ranking[:k])
        rows.append([i for i, w in zip(explanation.input_ids, word_of, strict=True) if w is None or w not in removed])
    return _spam_probabilities(classifier, rows)


# -------------------------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class _Encoded:
    ids: list[int]
    tokens: list[str]
    word_ids: list[int | None]
    offsets: list[tuple[int, int]]
    truncated: bool

    @property
    def content(self) -> np.ndarray:  # (T,) True for positions that belong to a word
        return np.array([w is not None for w in self.word_ids], dtype=bool)


def _encode(classifier: SpamClassifier, text: str) -> _Encoded:
    tokenizer = classifier.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise SpamcoreError("explanations need a fast tokenizer (with offsets); this model's tokenizer is not one")
    encoded = tokenizer(
        text[:MAX_MESSAGE_CHARS], add_special_tokens=True, truncation=False, return_offsets_mapping=True,
        return_attention_mask=False, return_token_type_ids=False, verbose=False,
    )
    # One tokenisation gives both the full length (is the message cut?) and the kept tokens: as the classifier's
    # own encode() cuts them, [CLS] and the first max_length - 2 tokens, then the closing special token.
    full = len(encoded["input_ids"])
    m = classifier.config.max_length
    keep = list(range(full)) if full <= m else [*range(m - 1), full - 1]
    ids = [encoded["input_ids"][i] for i in keep]
    word_ids = encoded.word_ids()
    return _Encoded(
        ids=ids, tokens=tokenizer.convert_ids_to_tokens(ids), word_ids=[word_ids[i] for i in keep],
        offsets=[tuple(encoded["offset_mapping"][i]) for i in keep], truncated=full > m,
    )


def _spam_probabilities(classifier: SpamClassifier, rows: list[list[int]], batch_size: int = 64) -> np.ndarray:
    """fp32 spam probability of each token-id row (one padded forward per ``batch_size`` rows)."""
    pad_id = classifier.tokenizer.pad_token_id or 0
    out = np.empty(len(rows), dtype=np.float64)
    with torch.inference_mode():
        for i in range(0, len(rows), batch_size):
            input_ids, mask = pad_batch(rows[i : i + batch_size], pad_id)
            logits = classifier.module(input_ids.to(classifier.device), mask.to(classifier.device))
            out[i : i + batch_size] = torch.softmax(logits.float() / classifier.temperature, -1)[:, 1].cpu().numpy()
    return out


# ----------------------------------------------------------------------------------------------- methods


def _occlusion(classifier: SpamClassifier, encoded: _Encoded) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Token and word scores ``p(x) - p(x without it)``, plus p(x) and p([CLS] [SEP])."""
    ids, word_ids = encoded.ids, encoded.word_ids
    words = sorted({w for w in word_ids if w is not None})
    specials = [i for i, w in zip(ids, word_ids, strict=True) if w is None]
    rows = [ids, specials]
    rows += [[i for i, w in zip(ids, word_ids, strict=True) if w != word] for word in words]
    # A piece of a multi-piece word gets its own row; a one-piece word's token score is its word score.
    pieces = {w: [p for p, x in enumerate(word_ids) if x == w] for w in words}
    split_positions = [p for w in words if len(pieces[w]) > 1 for p in pieces[w]]
    rows += [ids[:p] + ids[p + 1 :] for p in split_positions]

    probs = _spam_probabilities(classifier, rows)
    p_x, p_empty = float(probs[0]), float(probs[1])
    word_scores = p_x - probs[2 : 2 + len(words)]
    token_scores = np.zeros(len(ids), dtype=np.float64)
    for w, score in zip(words, word_scores, strict=True):
        if len(pieces[w]) == 1:
            token_scores[pieces[w][0]] = score
    token_scores[split_positions] = p_x - probs[2 + len(words) :]
    return token_scores, word_scores, p_x, p_empty


@torch.inference_mode(False)  # gradients are needed even when a caller runs under inference mode
def _integrated_gradients(classifier: SpamClassifier, encoded: _Encoded, steps: int) -> tuple[np.ndarray, float, float]:
    """Per-token IG scores of the spam probability along [PAD]-baseline → input, plus p(x) and p(baseline)."""
    module, device = classifier.module, classifier.device
    embedding = _input_embeddings(module)
    pad_id = classifier.tokenizer.pad_token_id or 0
    ids = torch.tensor([encoded.ids], dtype=torch.long, device=device)  # (1, T)
    content = torch.as_tensor(encoded.content, device=device)  # (T,)
    base_ids = torch.where(content, torch.full_like(ids, pad_id), ids)  # [CLS] [PAD] ... [PAD] [SEP]
    with torch.no_grad():
        x_emb = embedding(ids).float()  # (1, T, H)
        b_emb = embedding(base_ids).float()  # (1, T, H)
    diff = x_emb - b_emb  # (1, T, H), zero at [CLS]/[SEP]: the baseline keeps them

    def along_path(alphas: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Embeddings at the points ``alphas`` of the path (N, T, H), and the ids to feed with them (N, T)."""
        path = b_emb + torch.tensor(alphas, dtype=torch.float32, device=device)[:, None, None] * diff
        return path.detach(), ids.expand(len(alphas), -1)

    # Pass 1, forward only: where along the path does the probability change? Its ends are p(baseline), p(x).
    scan = np.linspace(0.0, 1.0, min(SCAN_INTERVALS, steps) + 1)
    path, batch_ids = along_path(scan)
    with torch.inference_mode(), _replace_output(embedding, path):
        logits = module(batch_ids, torch.ones_like(batch_ids)).float() / classifier.temperature
        scan_probs = torch.softmax(logits, -1)[:, 1].cpu().numpy()
    # Pass 2, forward and backward at the integration nodes, packed where pass 1 saw the change.
    nodes, weights = path_nodes(scan, scan_probs, steps, NODES_PER_INTERVAL)
    path, batch_ids = along_path(nodes)
    path.requires_grad_(True)
    with torch.enable_grad(), _replace_output(embedding, path):
        logits = module(batch_ids, torch.ones_like(batch_ids)).float() / classifier.temperature
        probs = torch.softmax(logits, dim=-1)[:, 1]  # (S,)
        (grads,) = torch.autograd.grad(probs.sum(), path)  # (S, T, H)
    weights_t = torch.tensor(weights, dtype=torch.float32, device=device)
    integral = (weights_t[:, None, None] * grads).sum(0)  # (T, H): ∫ ∂p/∂e dα
    scores = (diff[0] * integral).sum(-1)  # (T,)
    return scores.detach().double().cpu().numpy(), float(scan_probs[-1]), float(scan_probs[0])


def path_nodes(
    scan: np.ndarray, scan_probs: np.ndarray, steps: int, minimum: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Integration nodes and weights on [0, 1]: Gauss–Legendre on each interval of ``scan``, with one node per
    interval plus the rest shared out in proportion to how much the probability changes across it.

    Gauss–Legendre is exact for polynomials of degree 2k-1 on an interval with k nodes (and Captum's default
    rule), but a fine-tuned classifier can switch from ham to spam within 5 % of the path: spread evenly, 32
    nodes then miss most of the change. Example: ``path_nodes(np.array([0, .5, 1]), np.array([0, 0, 1]), 4)``
    puts 1 node in [0, 0.5] and 3 in [0.5, 1]; the weights always sum to 1.
    """
    intervals = len(scan) - 1
    minimum = min(minimum, steps // intervals)
    if minimum < 1:
        raise ValueError(f"{steps} steps cannot cover {intervals} intervals")
    change = np.abs(np.diff(np.asarray(scan_probs, dtype=np.float64)))
    share = change / change.sum() if change.sum() > 0 else np.full(intervals, 1 / intervals)
    extra = steps - minimum * intervals
    counts = minimum + np.floor(share * extra).astype(int)
    # Largest remainders get the nodes that flooring left over, so that the counts add up to ``steps``.
    left = steps - counts.sum()
    counts[np.argsort(-(share * extra - np.floor(share * extra)), kind="stable")[:left]] += 1
    nodes, weights = [], []
    for (low, high), count in zip(itertools.pairwise(scan), counts, strict=True):
        x, w = np.polynomial.legendre.leggauss(int(count))
        nodes.append(low + (x + 1) / 2 * (high - low))
        weights.append(w / 2 * (high - low))
    return np.concatenate(nodes), np.concatenate(weights)


def _input_embeddings(module: nn.Module) -> nn.Embedding:
    """The word-embedding table of the first Hugging Face model inside ``module`` (either recipe)."""
    for sub in module.modules():
        get = getattr(sub, "get_input_embeddings", None)
        if callable(get):
            embedding = get()
            if isinstance(embedding, nn.Embedding):
                return embedding
    raise SpamcoreError(f"cannot find the word embeddings of a {type(module).__name__}; IG needs them")


@contextmanager
def _replace_output(embedding: nn.Module, value: torch.Tensor) -> Iterator[None]:
    """Make ``embedding`` return ``value`` instead of its output — in this thread only.

    A classifier is shared between threads (the app classifies while it explains), so the hook leaves every
    other thread's forward pass alone.
    """
    owner = threading.get_ident()

    def hook(_module, _args, output):
        if threading.get_ident() != owner:
            return None
        if output.shape != value.shape:
            raise RuntimeError(f"embedding output {tuple(output.shape)} does not match the path {tuple(value.shape)}")
        return value.to(output.dtype)

    handle = embedding.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
