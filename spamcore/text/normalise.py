"""Text normalisation that undoes the cheap tricks used against spam filters, applied inside the classifier.

Spammers beat filters with text a person reads as usual but a tokenizer does not (Salman, Ikram & Kaafar, IEEE
Access 2024): letters spaced out ("w o n"), look-alike letters from other scripts ("Сlаim" with Cyrillic С and
а), full-width or mathematical letters ("ＦＲＥＥ", "𝐅𝐑𝐄𝐄"), and invisible characters inside words (zero-width
spaces, bidi controls). Scheme ``v1`` undoes them, in this order:

1. Unicode NFKC: full-width, mathematical and circled letters, ligatures and the like become plain ones;
2. invisible format characters (Unicode category Cf: zero-width, bidi controls, soft hyphens) are removed;
3. look-alike letters are folded to the Latin letter they imitate, using the Unicode confusables table (as
   shipped by the ``confusable_homoglyphs`` package), in words that also hold a Latin letter, or in words made of
   look-alikes only within a message that has (almost) no letters of another script without a look-alike — a
   Russian or Greek message is left as written;
4. runs of three or more single letters or digits, spaced or dotted alike ("w o n", "F.R.E.E", "c-a-s-h"), are
   joined into one word;
5. runs of spaces become one space.

Scheme ``v2`` is ``v1``, then repairs words the model's vocabulary does not hold, using that vocabulary (so it
needs the tokenizer: :class:`NormalisingTokenizer` gives it):

6. leetspeak: a word of three or more characters mixing letters with digits or signs that stand for letters
   ("p4rcel", "f33", "c@$h") becomes the vocabulary word those characters spell, if there is one;
7. misspellings: a word of four or more letters outside the vocabulary becomes the vocabulary word one swap of
   neighbouring letters away ("fere" → "free"), else one dropped letter away ("seected" → "selected"); among
   several, the one the tokenizer ranks first (WordPiece vocabularies are ordered by frequency). Case is kept
   where it can be.

Scheme ``v3`` is ``v2``, then:

8. a three-letter word outside the vocabulary becomes the vocabulary word one inner letter away ("hve" → "have",
   "yur" → "your", "cll" → "call": a dropped letter of a short key word). Only inner letters: a letter added at the
   end would turn SMS shorthand into other words ("lol" → "lola", "lor" → "lord"), and common shorthand that an
   inner letter would change ("pls" → "plus", "hrs" → "hers": :data:`SHORTHAND`) stays as written.

Scheme ``v4`` is ``v1``, then the repair view of :mod:`spamcore.text.repair` (issue 32): only words that no vocabulary
knows — an English frequency dictionary, the model's whole words and every word of the run's training data — are
mapped to a known word (letters reordered, then one letter dropped, changed or added, the most frequent word first),
so slang, names and brands stay as written. It needs the run's training words
(:class:`~spamcore.text.repair.KnownWords`,
saved beside the tokenizer).

The scheme is part of a run (``TrainConfig.normalise``, saved in ``run.json``): training, prediction, the
explanation and the CLI all read text through :class:`NormalisingTokenizer`, so they see the same text. Runs
saved before normalisation existed load with ``"none"`` and read text as they were trained to. A change to what
``v1`` does needs a new scheme name (``v2``), never an edit of ``v1``: saved runs keep the scheme they learned.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spamcore.text.repair import KnownWords, Repair

#: Schemes a run can name; "none" reads text as written.
SCHEMES: tuple[str, ...] = ("none", "v1", "v2", "v3", "v4")
DEFAULT_SCHEME = "v3"

_WORD = re.compile(r"\S+")
# Three or more single letters/digits, each followed by the same separator (spaces, a dot, dash, underscore,
# star or middle dot) and one more: "w o n", "F.R.E.E", "c-a-s-h". Letters inside longer words do not count.
# Dotted runs are joined first, so "w o n a F.R.E.E" gives "wona FREE", not "wonaF.REE".
_DOTTED = re.compile(r"(?<![^\W_])[^\W_]([.\-_*·])(?:[^\W_]\1){1,}[^\W_](?![^\W_])")
_SPACED = re.compile(r"(?<![^\W_.\-_*·])[^\W_]( +)(?:[^\W_]\1){1,}[^\W_](?![^\W_.\-_*·])")
_SPACES = re.compile(r"[ \t]{2,}")


@cache
def _confusables() -> dict[str, str]:
    """Non-ASCII character → the ASCII letter or digit it looks like, from the Unicode confusables table."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for char, entries in json.loads(raw).items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        # A letter before a digit, and one of the same case where the table offers both.
        latin.sort(key=lambda c: (not c.isalpha(), c.isupper() != char.isupper()))
        if latin:
            # The table's skeletons write capital I as "l"; a capital look-alike of it reads as "I".
            table[char] = "I" if latin[0] == "l" and char.isupper() else latin[0]
    return table


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def fold_confusables(text: str) -> str:
    """Look-alike letters folded to Latin in words that mix them with Latin letters (and, in a mostly Latin
    message, in words made of look-alikes only).

    Example: ``fold_confusables("Сlаim уоur рrizе")`` (Cyrillic С, а, у, о, р, е) gives ``"Claim your prize"``.
    """
    table = _confusables()
    if all(c.isascii() or c not in table for c in text):
        return text
    # Letters of another script with no Latin look-alike say the message is written in that script.
    letters = sum(1 for c in text if c.isalpha())
    foreign = sum(1 for c in text if c.isalpha() and not c.isascii() and c not in table)
    mostly_latin = foreign <= 0.1 * letters

    def fold(match: re.Match) -> str:
        word = match.group()
        if not any(c in table for c in word):
            return word
        mixed = any(map(_is_latin, word))
        all_lookalikes = all(c in table or not c.isalpha() or c.isascii() for c in word)
        if mixed or (mostly_latin and all_lookalikes):
            return "".join(table.get(c, c) for c in word)
        return word

    return _WORD.sub(fold, text)


def remove_invisible(text: str) -> str:
    """``text`` without format characters (category Cf): zero-width spaces and joiners, bidi controls, soft
    hyphens, word joiners. Example: ``remove_invisible("fr\\u200bee")`` gives ``"free"``."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def join_spaced(text: str) -> str:
    """Runs of three or more single letters or digits with the same separator joined into one word.

    Example: ``join_spaced("you w o n a F.R.E.E prize")`` gives ``"you wona FREE prize"`` (a spaced word cannot
    be told from a one-letter word after it; the tokenizer still reads "won"); ``"I am a b"`` stays as it is.
    """
    text = _DOTTED.sub(lambda m: m.group().replace(m.group(1), ""), text)
    return _SPACED.sub(lambda m: m.group().replace(" ", ""), text)


_LEET_LETTERS = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
                 "$": "s", "!": "i", "|": "l"}
# Words of at most MAX_REPAIR characters: longer ones are no word a vocabulary holds, and the candidates of a
# 20,000-character paste would fill the memory.
MAX_REPAIR = 24
_LEET_WORD = re.compile(r"(?<![\w@$!|])(?=[\w@$!|]*[A-Za-z])(?=[\w@$!|]*[0-9@$!|])[A-Za-z0-9@$!|]{3,24}(?![\w@$!|])")
_LETTER_WORD = re.compile(r"\b[A-Za-z]{4,24}\b")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _with_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


_SHORT_WORD = re.compile(r"\b[A-Za-z]{3}\b")
#: Three-letter SMS shorthand that one inner letter would turn into another word ("pls" -> "plus", "haf" -> "half",
#: "hrs" -> "hers"): left as written.
SHORTHAND = frozenset((
    "pls", "plz", "thx", "lol", "lor", "lar", "leh", "lah", "cos", "coz", "cuz", "wif", "wid", "haf", "abt", "iam",
    "oso", "ard", "dun", "dat", "nvm", "omg", "btw", "idk", "brb", "gud", "lik", "sch", "hrs", "ans", "msg", "tmr",
    "wat",
))


def repair_short_words(text: str, vocab: dict[str, int]) -> str:
    """Three-letter words outside the vocabulary with one inner letter put back (scheme ``v3``, step 8).

    Example: with a BERT vocabulary, ``repair_short_words("hve you got yur card", vocab)`` gives
    ``"have you got your card"``; "lol" stays (only "lola" or "loll" would be one letter away, at the end).
    """
    def respell(match: re.Match) -> str:
        word = match.group()
        lower = word.lower()
        if lower in vocab or lower in SHORTHAND:
            return word
        known = [c for c in (lower[:i] + ch + lower[i:] for i in (1, 2) for ch in _ALPHABET) if c in vocab]
        return _with_case(min(known, key=vocab.__getitem__), word) if known else word

    return _SHORT_WORD.sub(respell, text)


def repair_words(text: str, vocab: dict[str, int]) -> str:
    """Leetspeak and one-letter misspellings turned back into the vocabulary's words (scheme ``v2``, steps 6-7).

    Example: with a BERT vocabulary, ``repair_words("Y0ur p4rcel fere is he1d", vocab)`` gives
    ``"Your parcel free is held"``. Words in the vocabulary, and words with no repair, stay as written.
    """
    def unleet(match: re.Match) -> str:
        word = match.group()
        if word.lower() in vocab:
            return word
        options = [""]
        for char in word.lower():
            options = [o + c for o in options for c in _LEET_LETTERS.get(char, char)][:64]
        known = [o for o in options if o in vocab]
        return _with_case(min(known, key=vocab.__getitem__), word) if known else word

    def respell(match: re.Match) -> str:
        word = match.group()
        lower = word.lower()
        if lower in vocab:
            return word
        swaps = {lower[:i] + lower[i + 1] + lower[i] + lower[i + 2:] for i in range(len(lower) - 1)}
        inserts = {lower[:i] + c + lower[i:] for i in range(1, len(lower) + 1) for c in _ALPHABET}
        for candidates in (swaps, inserts):
            known = [c for c in candidates if c in vocab]
            if known:
                return _with_case(min(known, key=vocab.__getitem__), word)
        return word

    return _LETTER_WORD.sub(respell, _LEET_WORD.sub(unleet, text))


def normalise(text: str, scheme: str = DEFAULT_SCHEME, vocab: dict[str, int] | None = None,
              repair: Repair | None = None) -> str:
    """``text`` as the classifier reads it under ``scheme`` (``"none"``: unchanged). ``v2`` and ``v3`` need the
    model's ``vocab`` (word -> id), ``v4`` a :class:`~spamcore.text.repair.Repair`; without them they are ``v1``."""
    if scheme == "none":
        return text
    if scheme not in SCHEMES:
        raise ValueError(f"unknown normalisation scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
    text = unicodedata.normalize("NFKC", text)
    text = remove_invisible(text)
    text = fold_confusables(text)
    text = join_spaced(text)
    text = _SPACES.sub(" ", text)
    if scheme in ("v2", "v3") and vocab is not None:
        text = repair_words(text, vocab)
    if scheme == "v3" and vocab is not None:
        text = repair_short_words(text, vocab)
    if scheme == "v4" and repair is not None:
        text = repair.text(text)
    return text


#: How many texts a tokenizer remembers having read (a training split with its copies fits).
READ_CACHE_SIZE = 50_000


class NormalisingTokenizer:
    """A Hugging Face tokenizer that normalises its text first; everything else is the wrapped tokenizer's.

    Offsets it returns (``return_offsets_mapping``) point into the normalised text: callers that slice the text
    by them normalise it first with :meth:`normalise`.
    """

    def __init__(self, tokenizer: Any, scheme: str, known: KnownWords | None = None) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown normalisation scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
        self.inner = tokenizer
        self.scheme = scheme
        self.known = known
        self.repair = None
        if scheme == "v4":
            from spamcore.text.repair import Repair

            words = tokenizer.get_vocab() if hasattr(tokenizer, "get_vocab") else {}
            self.repair = Repair(known, words)
        # Whole words of the vocabulary (no "##" pieces), for v2's repairs; uncased vocabularies only, where a
        # word's case does not change what the model reads.
        vocab = tokenizer.get_vocab() if scheme in ("v2", "v3") and hasattr(tokenizer, "get_vocab") else {}
        self.vocab = {w: i for w, i in vocab.items() if w.isalpha() and w.islower()} or None
        # Training reads each message twice (to leave out copies that read alike, then to tokenize): remembered.
        self._read: dict[str, str] = {}

    def normalise(self, text: str) -> str:
        read = self._read.get(text)
        if read is None:
            if len(self._read) >= READ_CACHE_SIZE:
                self._read.clear()
            read = self._read[text] = normalise(text, self.scheme, self.vocab, self.repair)
        return read

    def save_pretrained(self, folder, *args: Any, **kwargs: Any):
        """The wrapped tokenizer's files, and the run's known words when the scheme reads with them."""
        saved = self.inner.save_pretrained(folder, *args, **kwargs)
        if self.known is not None:
            self.known.save(folder)
        return saved

    def __call__(self, text: str | Sequence[str], text_pair: str | Sequence[str] | None = None, **kwargs: Any):
        return self.inner(self._apply(text), self._apply(text_pair), **kwargs)

    def _apply(self, text):
        if text is None or self.scheme == "none":
            return text
        if isinstance(text, str):
            return self.normalise(text)
        return [self.normalise(t) for t in text]

    def __getattr__(self, name: str) -> Any:  # only called for what this class does not define
        return getattr(self.inner, name)


def normalising(tokenizer: Any, scheme: str, known: KnownWords | None = None) -> NormalisingTokenizer:
    """``tokenizer`` reading text under ``scheme`` (an already wrapped one is unwrapped first, keeping its known
    words unless others are given)."""
    return NormalisingTokenizer(getattr(tokenizer, "inner", tokenizer), scheme,
                                known if known is not None else getattr(tokenizer, "known", None))
