"""What BERT sees of a message: its WordPiece tokens, ids, attention mask, and what max length cuts off.

Pure helpers for teaching front ends; they only call the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TokenView:
    """One message as the model receives it."""

    table: pd.DataFrame  # one row per input position: position, token, id, attention_mask, kind
    cut: tuple[str, ...]  # tokens dropped because the message is longer than max_length
    total_tokens: int  # tokens of the whole message, [CLS] and [SEP] included
    max_length: int

    @property
    def truncated(self) -> bool:
        return bool(self.cut)


def explain_tokens(tokenizer, text: str, max_length: int, pad: bool = False) -> TokenView:
    """Tokenise ``text`` like training does (``[CLS] … [SEP]``, cut to ``max_length``, optionally padded).

    ``kind`` is ``special`` for [CLS]/[SEP]/[PAD], ``continuation`` for a ``##`` word piece, else ``word``.

    Example: with BERT's vocabulary, ``explain_tokens(tok, "hello world", 8).table.token.tolist()``
    is ``["[CLS]", "hello", "world", "[SEP]"]``.
    """
    full = tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
    encoded = tokenizer(
        text, add_special_tokens=True, truncation=True, max_length=max_length,
        padding="max_length" if pad else False, return_attention_mask=True, verbose=False,
    )
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    specials = set(tokenizer.all_special_tokens)
    kinds = ["special" if t in specials else "continuation" if t.startswith("##") else "word" for t in tokens]
    table = pd.DataFrame({"position": range(len(ids)), "token": tokens, "id": ids, "attention_mask": mask,
                          "kind": kinds})
    cut: tuple[str, ...] = ()
    if len(full) > max_length:
        # Truncation keeps [CLS] + the first max_length - 2 tokens and closes with [SEP].
        cut = tuple(tokenizer.convert_ids_to_tokens(full[max_length - 1 : -1]))
    return TokenView(table, cut, len(full), max_length)
