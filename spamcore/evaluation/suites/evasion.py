"""The evasion suite: the robustness suite's spam rewritten with the tricks used against spam filters.

Salman, Ikram & Kaafar (IEEE Access 2024) fooled commercial SMS filters by spacing letters out, swapping or
dropping characters, replacing letters with look-alikes from other scripts, leetspeak, invisible characters
and paraphrase. Their disguised originals swap densely — several edits in most words — which ``dense swaps``
rewrites as; ``friendly wrapper`` puts the spam inside a friend's chat, the first trick a class tries. Each spam
message of ``robustness.csv`` is rewritten here once per trick, the same way every time (seeded by its position),
and the paraphrases are hand-written (``evasion_paraphrase.csv``). A filter that holds scores the same on every
trick as on the messages as written.

Never trained on: like ``robustness.csv``, it stays out of every training split (a test checks it). Training
has augmentations of its own (:mod:`spamcore.text.augment`) with their own code and randomness; this file is the
exam, written separately.
"""

from __future__ import annotations

import io
import re
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

TRICKS: tuple[str, ...] = ("as written", "spacing", "swaps", "dense swaps", "homoglyphs", "leet", "zero-width",
                           "friendly wrapper", "paraphrase")

#: Latin letters and a look-alike each, from Cyrillic, Greek and the full-width forms (as spammers use them).
_LOOKALIKES = {
    "a": "а", "c": "с", "e": "е", "i": "і", "j": "ј", "o": "о", "p": "р", "s": "ѕ", "x": "х", "y": "у",
    "A": "Α", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν", "O": "Ο", "P": "Ρ",
    "T": "Τ", "X": "Χ", "Z": "Ζ", "C": "С", "l": "ⅼ", "n": "ｎ", "r": "ｒ", "w": "ԝ", "d": "ԁ", "h": "һ",
}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "A": "4", "E": "3", "I": "1", "O": "0",
         "S": "$", "T": "7"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")
_WORD = re.compile(r"[A-Za-z]{3,}")


def _key_words(text: str, count: int) -> list[re.Match]:
    """The ``count`` longest words of three or more letters (the ones a filter keys on), in text order."""
    words = list(_WORD.finditer(text))
    longest = sorted(words, key=lambda m: -len(m.group()))[:count]
    return sorted(longest, key=lambda m: m.start())


def _rewrite_words(text: str, words: list[re.Match], change) -> str:
    out, last = [], 0
    for match in words:
        out += [text[last:match.start()], change(match.group())]
        last = match.end()
    return "".join([*out, text[last:]])


def spacing(text: str, rng: np.random.Generator) -> str:
    """The two longest words spelled out with spaces: "claim your prize" → "c l a i m your p r i z e"."""
    return _rewrite_words(text, _key_words(text, 2), lambda w: " ".join(w))


def swaps(text: str, rng: np.random.Generator) -> str:
    """In each word of four letters or more, one neighbouring pair swapped or one inner letter dropped."""
    def change(word: str) -> str:
        if len(word) < 4:
            return word
        i = int(rng.integers(1, len(word) - 2))
        if rng.random() < 0.5:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        return word[:i] + word[i + 1:]

    return _rewrite_words(text, [m for m in _WORD.finditer(text) if len(m.group()) >= 4], change)


def homoglyphs(text: str, rng: np.random.Generator) -> str:
    """Every other letter that has a look-alike replaced by it, in the three longest words."""
    def change(word: str) -> str:
        return "".join(_LOOKALIKES.get(c, c) if i % 2 == 0 else c for i, c in enumerate(word))

    return _rewrite_words(text, _key_words(text, 3), change)


def leet(text: str, rng: np.random.Generator) -> str:
    """Leetspeak in the three longest words: "free" → "fr33", "cash" → "c45h"."""
    return _rewrite_words(text, _key_words(text, 3), lambda w: "".join(_LEET.get(c, c) for c in w))


def zero_width(text: str, rng: np.random.Generator) -> str:
    """An invisible character inside each of the three longest words."""
    def change(word: str) -> str:
        i = int(rng.integers(1, len(word)))
        return word[:i] + _ZERO_WIDTH[int(rng.integers(len(_ZERO_WIDTH)))] + word[i:]

    return _rewrite_words(text, _key_words(text, 3), change)


def dense_swaps(text: str, rng: np.random.Generator) -> str:
    """As real letter-swap smishing does it: in most words of three letters or more, one edit per four letters —
    neighbours swapped, a letter dropped, or a letter doubled — so that few words survive as written. (Training's
    ``spamcore.text.augment.dense_swaps`` edits alike on purpose but is its own code: the exam is written apart.)"""
    def edit(word: str) -> str:
        i = int(rng.integers(1, len(word) - 1))
        kind = int(rng.integers(3))
        if kind == 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if kind == 1:
            return word[:i] + word[i + 1:]
        return word[:i] + word[i] + word[i:]

    def change(word: str) -> str:
        if rng.random() < 0.15:
            return word
        for _ in range(1 + len(word) // 4):  # a long word takes more: "verification" → "vreifcaiton"
            word = edit(word) if len(word) >= 3 else word
        return word

    return _rewrite_words(text, list(_WORD.finditer(text)), change)


#: Chat around the spam, as a friend would write it (the exam's own lines: training's wrappers are others).
_WRAPPERS = (
    ("Hey lovely! Was great catching up on Saturday. Anyway, ", " Talk later x"),
    ("Hi! How did the exam go?? Also ", ""),
    ("Morning :) Hope the new flat is treating you well. Quick one: ", " See you at five"),
    ("Haha you were right about the film. Oh by the way ", " xx"),
    ("Heya, the kids loved the park today. PS ", " Let me know"),
    ("Good luck at the interview tomorrow!! Random, but ", ""),
)


def friendly_wrapper(text: str, rng: np.random.Generator) -> str:
    """The spam inside a friend's chat: a chatty opener and a link word before it, sometimes a sign-off after."""
    before, after = _WRAPPERS[int(rng.integers(len(_WRAPPERS)))]
    return f"{before}{text.strip()}{after}"


REWRITES = {"spacing": spacing, "swaps": swaps, "dense swaps": dense_swaps, "homoglyphs": homoglyphs, "leet": leet,
            "zero-width": zero_width, "friendly wrapper": friendly_wrapper}


@cache
def _paraphrases() -> str:
    return resources.files("spamcore.evaluation.suites").joinpath("evasion_paraphrase.csv").read_text(encoding="utf-8")


def load_evasion_suite() -> pd.DataFrame:
    """Columns ``trick``, ``category``, ``label`` (all 1: spam), ``text``, ``source`` (the message as written)."""
    from spamcore.evaluation.robustness import load_suite

    spam = load_suite().query("label == 1").reset_index(drop=True)
    rows = [{"trick": "as written", "category": c, "text": t, "source": t} for c, t in zip(spam["category"],
                                                                                        spam["text"], strict=True)]
    for trick, rewrite in REWRITES.items():
        for i, (category, text) in enumerate(zip(spam["category"], spam["text"], strict=True)):
            rng = np.random.default_rng([i, len(trick)])
            rows.append({"trick": trick, "category": category, "text": rewrite(text, rng), "source": text})
    paraphrased = pd.read_csv(io.StringIO(_paraphrases()))
    rows += [{"trick": "paraphrase", "category": c, "text": t, "source": ""}
             for c, t in zip(paraphrased["category"], paraphrased["text"], strict=True)]
    frame = pd.DataFrame(rows)
    frame["label"] = 1
    return frame[["trick", "category", "label", "text", "source"]]


def evasion_report(score, threshold: float = 0.5, suite: pd.DataFrame | None = None, band=None) -> dict:
    """Spam recall per trick (share of the rewritten spam still caught) and the messages that got through.

    With ``band`` (an :class:`~spamcore.evaluation.calibration.UnsureBand`), only a "spam" verdict counts as caught:
    "not sure" is not; the share "not sure" is reported per trick.
    """
    from spamcore.evaluation.robustness import verdicts

    suite = load_evasion_suite() if suite is None else suite
    probs = np.asarray(score(list(suite["text"])), dtype=np.float64)
    said = verdicts(probs, threshold, band)
    frame = suite.assign(spam_probability=probs, caught=said == "spam", unsure=said == "unsure")
    per_trick = [{"trick": trick, "n": len(part), "caught": int(part["caught"].sum()),
                  "recall": float(part["caught"].mean()), "share_unsure": float(part["unsure"].mean())}
                 for trick, part in frame.groupby("trick", sort=False)]
    missed = frame[~frame["caught"]].sort_values("spam_probability")
    return {"threshold": threshold, "band": None if band is None else band.to_dict(), "tricks": per_trick,
            "worst_recall": min(t["recall"] for t in per_trick),
            "missed": missed[["trick", "category", "text", "spam_probability"]].to_dict("records")}


def format_evasion_table(reports: dict[str, dict]) -> str:
    """A Markdown table: one row per trick, one column per scored model (share of the spam caught)."""
    names = list(reports)
    lines = ["| trick | n | " + " | ".join(names) + " |", "|" + "---|" * (2 + len(names))]
    first = next(iter(reports.values()))
    for i, trick in enumerate(first["tricks"]):
        cells = [f"{r['tricks'][i]['recall']:.2f}" for r in reports.values()]
        lines.append(f"| {trick['trick']} | {trick['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
