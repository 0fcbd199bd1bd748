"""How BERT learns before it ever sees spam: the two pre-training tasks, built on a sentence of your own.

Devlin, J., Chang, M.-W., Lee, K., Toutanova, K. (2018). *BERT: Pre-training of Deep Bidirectional Transformers
for Language Understanding*. arXiv:1810.04805 (NAACL 2019), section 3.1 and appendix A.1.

Masked language modelling (MLM)
    15 % of the WordPiece tokens of a sequence are *chosen*; the model must predict the original token at each
    chosen position from both sides' context. Of the chosen tokens, 80 % are replaced by [MASK], 10 % by a
    random token and 10 % are left unchanged, so that the model cannot learn that only [MASK] positions
    matter (fine-tuning inputs never contain [MASK]). As in the paper's ``create_pretraining_data.py``, the
    number chosen is fixed per sequence — 15 % of its non-special tokens, rounded, at least one — and the
    positions are drawn uniformly; [CLS], [SEP] and [PAD] are never chosen. (Hugging Face's
    ``DataCollatorForLanguageModeling`` instead flips a 15 % coin per token: the same rate on average.)
Next sentence prediction (NSP)
    The input is ``[CLS] A [SEP] B [SEP]``; segment (token type) ids are 0 for [CLS], A and the first [SEP],
    1 for B and the last [SEP]; position ids count from 0. Half of the pairs use the sentence that really
    follows A (``IsNext``), half a random sentence from elsewhere (``NotNext``); the [CLS] output predicts which.

Everything here only calls the tokenizer; the records are plain dataclasses with a ``table()`` for display.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from spamcore.errors import DataError

MASK_PROBABILITY = 0.15
#: Of the chosen tokens: share replaced by [MASK], by a random token; the rest stay unchanged.
MASK_SHARE, RANDOM_SHARE = 0.8, 0.1
IS_NEXT, NOT_NEXT = "IsNext", "NotNext"
MAX_LENGTH = 128


# -------------------------------------------------------------------------------------------------- MLM


@dataclass(frozen=True)
class MaskedToken:
    """One input position of an MLM training example."""

    position: int
    original: str  # the token in the sentence
    shown: str  # what the model sees: [MASK], a random token, or the original
    chosen: bool  # a prediction target (the loss only looks at these)
    action: str | None  # "mask", "random", "keep" for chosen tokens; None otherwise
    special: bool  # [CLS]/[SEP]: never chosen
    original_id: int
    shown_id: int


@dataclass(frozen=True)
class MaskedSentence:
    """A sentence after MLM masking with one seed."""

    text: str
    seed: int
    tokens: tuple[MaskedToken, ...]

    @property
    def chosen(self) -> list[MaskedToken]:
        return [t for t in self.tokens if t.chosen]

    @property
    def labels(self) -> list[int]:
        """MLM labels as in training: the original id at chosen positions, -100 (ignored by the loss) elsewhere."""
        return [t.original_id if t.chosen else -100 for t in self.tokens]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(t) for t in self.tokens])


def masked_count(candidates: int, probability: float = MASK_PROBABILITY) -> int:
    """How many of ``candidates`` tokens are chosen: ``probability`` of them, rounded half up, at least one.

    Example: ``[masked_count(n) for n in (0, 1, 7, 10, 20)] == [0, 1, 1, 2, 3]``
    """
    if candidates <= 0:
        return 0
    return min(candidates, max(1, math.floor(candidates * probability + 0.5)))


def mask_tokens(
    tokenizer, text: str, seed: int = 0, probability: float = MASK_PROBABILITY, max_length: int = MAX_LENGTH
) -> MaskedSentence:
    """Apply BERT's MLM masking to ``text`` (tokenised with [CLS]/[SEP], cut to ``max_length``).

    The same ``seed`` gives the same choice; another seed re-rolls it.
    """
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"probability must be in (0, 1]; got {probability}")
    encoded = tokenizer(text, add_special_tokens=True, truncation=True, max_length=max_length,
                        return_special_tokens_mask=True, return_attention_mask=False, return_token_type_ids=False)
    ids = list(encoded["input_ids"])
    special = [bool(s) for s in encoded["special_tokens_mask"]]
    if all(special):
        raise DataError("the sentence has no tokens to mask; type a few words")
    rng = np.random.default_rng(seed)
    candidates = [i for i, s in enumerate(special) if not s]
    chosen = sorted(rng.choice(candidates, size=masked_count(len(candidates), probability), replace=False).tolist())
    replacements = _replacement_ids(tokenizer)
    actions: dict[int, str] = {}
    shown = list(ids)
    for position in chosen:
        draw = rng.random()
        if draw < MASK_SHARE:
            actions[position], shown[position] = "mask", tokenizer.mask_token_id
        elif draw < MASK_SHARE + RANDOM_SHARE:
            # May, rarely, draw the original token itself: the paper's procedure allows that too.
            actions[position], shown[position] = "random", int(replacements[rng.integers(len(replacements))])
        else:
            actions[position] = "keep"
    originals, shown_tokens = tokenizer.convert_ids_to_tokens(ids), tokenizer.convert_ids_to_tokens(shown)
    tokens = tuple(
        MaskedToken(i, originals[i], shown_tokens[i], i in actions, actions.get(i), special[i], ids[i], shown[i])
        for i in range(len(ids))
    )
    return MaskedSentence(text, seed, tokens)


def _replacement_ids(tokenizer) -> np.ndarray:
    """Ids a "random" replacement is drawn from: the vocabulary without special and ``[unused…]`` entries
    (the paper draws from the whole vocabulary; a real word piece is clearer to look at)."""
    specials = set(tokenizer.all_special_ids)
    return np.array(sorted(i for token, i in tokenizer.get_vocab().items()
                           if i not in specials and not (token.startswith("[") and token.endswith("]"))))


# -------------------------------------------------------------------------------------------------- NSP


@dataclass(frozen=True)
class PairToken:
    """One input position of an NSP training example."""

    position: int  # position id: the row of the position-embedding table added to this token
    token: str
    segment: str  # "A" or "B"
    token_type_id: int  # 0 for A (with [CLS] and the first [SEP]), 1 for B (with the last [SEP])
    special: bool
    input_id: int


@dataclass(frozen=True)
class SentencePair:
    """``[CLS] A [SEP] B [SEP]`` with its segment and position ids and the NSP label."""

    first: str
    second: str
    label: str  # "IsNext" or "NotNext"
    tokens: tuple[PairToken, ...]

    @property
    def token_type_ids(self) -> list[int]:
        return [t.token_type_id for t in self.tokens]

    @property
    def position_ids(self) -> list[int]:
        return [t.position for t in self.tokens]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(t) for t in self.tokens])


def build_pair(tokenizer, first: str, second: str, is_next: bool = True, max_length: int = MAX_LENGTH) -> SentencePair:
    """Tokenise two sentences as one NSP input; the longer one is cut first when they exceed ``max_length``."""
    for name, sentence in (("first", first), ("second", second)):
        if not isinstance(sentence, str) or not sentence.strip():
            raise DataError(f"the {name} sentence is empty; type a sentence")
    encoded = tokenizer(first, second, add_special_tokens=True, truncation="longest_first", max_length=max_length,
                        return_token_type_ids=True, return_special_tokens_mask=True, return_attention_mask=False)
    ids = list(encoded["input_ids"])
    types = list(encoded["token_type_ids"])
    special = [bool(s) for s in encoded["special_tokens_mask"]]
    names = tokenizer.convert_ids_to_tokens(ids)
    tokens = tuple(PairToken(i, names[i], "AB"[types[i]], int(types[i]), special[i], ids[i]) for i in range(len(ids)))
    return SentencePair(first, second, IS_NEXT if is_next else NOT_NEXT, tokens)
