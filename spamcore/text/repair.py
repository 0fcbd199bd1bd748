"""The repair view (normalisation scheme ``v4``): words that no vocabulary knows, mapped back to a known word.

Spam is disguised by misspelling its key words ("acount suspnded, verfy now", "Yuor pacakge"), and a model that
never read those spellings reads fragments of other words. Scheme ``v3`` repaired every word outside the model's
WordPiece vocabulary, which lacks most plurals, names and SMS slang: it rewrote 820 of 3,000 ham messages. This view
leaves known words alone. Known is any word of

- symspellpy's English frequency dictionary (82,765 words with their counts, MIT: a maintained list, not one of ours),
- the model's own whole-word vocabulary (brands and names WordPiece keeps: "uber", "netflix"),
- every word of the training data (slang, names and brands the messages use: "lor", "txt", "hmrc"), kept with the
  run as 64-bit hashes (:class:`KnownWords`): a run never carries the training text itself.

A word of three or more letters outside all three becomes, in this order of trust:

1. a dictionary word with the same letters in another order, for words of four letters or more ("Yuor" → "Your",
   "urgnet" → "urgent": swaps at any density);
2. a dictionary word one letter longer (a dropped letter: "dleted" → "deleted", "verfy" → "verify"; for a
   three-letter word, an inner letter only: "hve" → "have", where an added last letter turns slang into words);
3. a dictionary word one changed letter away, or one letter shorter (a letter added), words of four letters or more;
4. a dictionary word with the same letters but one in another order after one was dropped ("vreiy" → "verify");

choosing, within the first step that finds any, the word the dictionary counts most often (the frequency prior);
otherwise it stays as written. Leetspeak ("p4rcel", "c@$h") becomes the known word its characters spell, if one
does. Case is kept where it can be. The same view reads text at training and at verdict time (the scheme is part of
a run), so the model learns the repaired spellings, never the disguised ones.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np

#: Where a run keeps the hashes of its training data's words (next to its tokenizer files).
KNOWN_WORDS_FILE = "known-words.npy"
#: Repair targets come from the most frequent words of the dictionary: the words spam disguises are common ones, and
#: the drop tables of all 82,765 words would take seconds and ~150 MB per process.
TARGET_WORDS = 30_000
#: Longer runs of letters are no word a dictionary holds (and bound the work a 20,000-letter paste costs).
MAX_WORD = 24

# A word's letters, not part of a contraction ("didn't", "you'd": the dictionary holds neither half).
_LETTERS = re.compile(r"(?<![\w@$!|'’])[A-Za-z]{3,24}(?![\w@$!|]|['’][A-Za-z])")
_LEET_WORD = re.compile(r"(?<![\w@$!|])(?=[\w@$!|]*[A-Za-z])(?=[\w@$!|]*[0-9@$!|])[A-Za-z0-9@$!|]{3,24}(?![\w@$!|])")
_LEET_LETTERS = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
                 "$": "s", "!": "i", "|": "l"}
#: Ordinary words that mix digits and letters stay as written: 6pm, 2nd, 10k, 4G, 500GB, 3am.
_PLAIN_MIX = re.compile(r"^\d+(st|nd|rd|th|am|pm|k|m|g|gb|mb|p|s|x|min|mins|hr|hrs)$", re.IGNORECASE)
_WORDS = re.compile(r"[a-z]+")


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a lower-case word (the same in every process and on every machine)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class KnownWords:
    """Words a run's training data holds, as hashes: ``"lor" in known`` after ``KnownWords.of(["ok lor"])``."""

    def __init__(self, hashes: Iterable[int] = ()) -> None:
        self.hashes = frozenset(int(h) for h in hashes)

    @classmethod
    def of(cls, texts: Iterable[str]) -> KnownWords:
        """The words of ``texts`` (lower-cased runs of letters)."""
        words = {w for text in texts for w in _WORDS.findall(str(text).lower()) if len(w) <= MAX_WORD}
        return cls(word_hash(w) for w in words)

    def __contains__(self, word: str) -> bool:
        return word_hash(word) in self.hashes

    def __len__(self) -> int:
        return len(self.hashes)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / KNOWN_WORDS_FILE
        np.save(path, np.array(sorted(self.hashes), dtype=np.uint64), allow_pickle=False)
        return path

    @classmethod
    def load(cls, folder: Path) -> KnownWords | None:
        """The run's known words, or None for a folder without them (a run of another scheme)."""
        path = Path(folder) / KNOWN_WORDS_FILE
        if not path.is_file():
            return None
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: not a list of word hashes ({err})") from None
        if array.dtype != np.uint64 or array.ndim != 1:
            raise ValueError(f"{path}: not a list of word hashes (dtype {array.dtype}, shape {array.shape})")
        return cls(array.tolist())


@functools.cache
def dictionary() -> dict[str, int]:
    """symspellpy's English frequency dictionary: word → count, most frequent first."""
    text = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    counts: dict[str, int] = {}
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if word.isascii() and word.isalpha():
            counts.setdefault(word, int(count or 0))
    return counts


def _drops(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _best(table: dict[str, str], key: str, word: str, counts: dict[str, int]) -> None:
    if counts.get(word, 0) > counts.get(table.get(key, ""), -1):
        table[key] = word


@functools.cache
def tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """The repair's lookups over the dictionary's :data:`TARGET_WORDS` most frequent words (built once per process,
    about a second): sorted letters → word, one-letter drop → word, inner-letter drop → word (three-letter repairs)
    and the sorted letters of a drop → word; each keeps the most frequent word for its key."""
    counts = dictionary()
    anagrams: dict[str, str] = {}
    drops: dict[str, str] = {}
    inner: dict[str, str] = {}
    anagram_drops: dict[str, str] = {}
    for word in list(counts)[:TARGET_WORDS]:
        if len(word) < 3:
            continue
        if len(word) >= 4:
            _best(anagrams, "".join(sorted(word)), word, counts)
        for i in range(len(word)):
            drop = word[:i] + word[i + 1:]
            _best(drops, drop, word, counts)
            if 0 < i < len(word) - 1:
                _best(inner, drop, word, counts)
            if len(word) >= 5:
                _best(anagram_drops, "".join(sorted(drop)), word, counts)
    return anagrams, drops, inner, anagram_drops


def _with_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


class Repair:
    """The repair view of one run: ``Repair(known, vocab).text("Yuor acount is suspnded")`` gives
    ``"Your account is suspended"``; a word any vocabulary knows is never changed."""

    def __init__(self, known: KnownWords | None = None, vocab: Iterable[str] = ()) -> None:
        self.counts = dictionary()
        self.known = known or KnownWords()
        self.vocab = frozenset(w for w in vocab if w.isalpha() and w.islower())

    def is_known(self, word: str) -> bool:
        lower = word.lower()
        return lower in self.counts or lower in self.vocab or lower in self.known

    def word(self, word: str) -> str:
        """``word`` (letters only) as the view reads it: itself when known or beyond repair, else the repair."""
        if self.is_known(word):
            return word
        found = self._nearest(word.lower())
        return _with_case(found, word) if found else word

    def _nearest(self, lower: str) -> str | None:
        anagrams, drops, inner, anagram_drops = tables()
        count = self.counts.get
        if len(lower) == 3:  # three letters reorder into too many words ("oni" -> "ion"): a dropped inner one only
            return inner.get(lower)
        same = anagrams.get("".join(sorted(lower)))
        if same:
            return same
        longer = drops.get(lower)
        if longer:
            return longer
        shorter = [d for d in _drops(lower) if d in self.counts and len(d) >= 3]
        changed = [drops[d] for d in _drops(lower) if d in drops and len(drops[d]) == len(lower)
                   and sum(a != b for a, b in zip(drops[d], lower, strict=True)) == 1]
        near = shorter + changed
        if near:
            return max(near, key=lambda w: count(w, 0))
        return anagram_drops.get("".join(sorted(lower))) if len(lower) >= 4 else None

    def unleet(self, word: str) -> str:
        """A word mixing letters with digits or signs as the known word those characters spell, if there is one."""
        if self.is_known(word) or _PLAIN_MIX.match(word):
            return word
        options = [""]
        for char in word.lower():
            options = [o + c for o in options for c in _LEET_LETTERS.get(char, char)][:64]
        known = [o for o in options if o.isalpha() and self.is_known(o)]
        return _with_case(max(known, key=lambda w: self.counts.get(w, 0)), word) if known else word

    def text(self, text: str) -> str:
        """``text`` with its unknown words repaired (see the module's docstring)."""
        text = _LEET_WORD.sub(lambda m: self.unleet(m.group()), text)
        return _LETTERS.sub(lambda m: self.word(m.group()), text)
