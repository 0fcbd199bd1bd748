"""The end of a lesson: what a class round came to — attempts, the share that fooled the model and the share it was
not sure about, which tricks worked most, and the retrain's before → after — as one self-contained HTML file and as
CSV.

Tricks are detected with the checks normalisation already makes (the same code reads the text the model sees): letters
spaced out or dotted, look-alike letters from other scripts or full-width forms, leetspeak, invisible characters;
letter swaps (most words of four letters or more misspelt on purpose: each outside an English word list yet one
swap of neighbours, dropped, inserted or changed letter — or a reordering of its letters — from a word in it, as the
evasion suite's "dense swaps" are); links from the careful-reader patterns; and spam wrapped in friendly chat (a
greeting or chat opener before the spam). A message can use several tricks; one using none is "as written".
"""

from __future__ import annotations

import functools
import html
import io
import re

import pandas as pd

from spamcore.teaching.indicators import find_indicators
from spamcore.text.normalise import fold_confusables, join_spaced, remove_invisible

TRICKS = ("spaced letters", "look-alike letters", "leetspeak", "invisible characters", "letter swaps", "link",
          "friendly wrapper", "as written")
#: Ordinary words that mix digits and letters: 6pm, 2nd, 10k, 4G, 500GB.
_PLAIN_MIX = re.compile(r"^\d+(st|nd|rd|th|am|pm|k|m|g|gb|mb|p|s|x)$", re.IGNORECASE)
_GREETING = re.compile(r"^\W*(hi+|hey+|hello|hiya|heyy+|omg|lol|yo|morning|good (morning|evening)|long time|"
                       r"happy birthday|so good|loved|hope|thanks|congrats|haha)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # the board redraws every few seconds over the same messages
def _tricks(text: str, claimed: str) -> tuple[str, ...]:
    return tuple(tricks_in(text, claimed))


def tricks_in(text: str, claimed: str) -> list[str]:
    """The tricks ``text`` uses (see the module's docstring), in :data:`TRICKS` order.

    Example: ``tricks_in("hey! btw W I N a prize at win.com", "spam")`` gives
    ``["spaced letters", "link", "friendly wrapper"]``.
    """
    found = []
    if join_spaced(text) != text:
        found.append("spaced letters")
    if fold_confusables(text) != text:
        found.append("look-alike letters")
    if any(_is_leet(word) for word in text.split()):
        found.append("leetspeak")
    if remove_invisible(text) != text:
        found.append("invisible characters")
    if has_letter_swaps(remove_invisible(text)):
        found.append("letter swaps")
    if any(i.kind in ("link", "shortened link") for i in find_indicators(text)):
        found.append("link")
    if claimed == "spam" and _GREETING.search(text):
        found.append("friendly wrapper")
    return found or ["as written"]


_WORD4 = re.compile(r"[A-Za-z]{4,}")


def has_letter_swaps(text: str, share: float = 0.5) -> bool:
    """Whether at least ``share`` of the words of four letters or more (and at least two) are misspelt on purpose.

    Example: ``has_letter_swaps("Yo ur Fortnite acct will be dleted unles u verfy")`` is True ("dleted", "unles",
    "verfy"); ``has_letter_swaps("see you at the station at six")`` is False.
    """
    words = [w.lower() for w in _WORD4.findall(text)]
    if len(words) < 2:
        return False
    tables = _swap_tables()
    swapped = sum(_near_a_word(w, *tables) for w in words)
    return swapped >= 2 and swapped >= share * len(words)


def warm_up() -> None:
    """Index the word list now (the app's warm-up calls this in the background), not in a board's redraw."""
    _swap_tables()


def _near_a_word(word: str, vocab: frozenset[str], anagrams: frozenset[str], deletions: frozenset[str],
                 anagram_drops: frozenset[str]) -> bool:
    """An unknown word one edit from a known one, or its letters reordered with at most one dropped or added."""
    if word in vocab:
        return False
    letters = "".join(sorted(word))
    if letters in anagrams or letters in anagram_drops or word in deletions:  # reordered (one dropped), one dropped
        return True
    shorter = {word[:i] + word[i + 1:] for i in range(len(word))}
    if shorter & vocab or shorter & deletions:  # one inserted, or one changed
        return True
    return any("".join(sorted(w)) in anagrams for w in shorter)  # reordered, one added


#: The most frequent words of the list that a misspelt word is checked against: the words spam disguises are common
#: ones, and the whole list (82,765) took 150 MB and seconds of CPU to index, in a server that redraws a board.
SWAP_VOCABULARY = 30_000


@functools.cache
def _swap_tables() -> tuple[frozenset[str], ...]:
    """English words of four letters or more (the most frequent of symspellpy's frequency dictionary, MIT: a maintained
    list rather than one of ours), their sorted letters, every one-letter drop, and the sorted letters of every drop
    (built once per process, in the app's warm-up: well under a second)."""
    from spamcore.text.repair import dictionary

    words = list(dictionary())[:SWAP_VOCABULARY]  # most frequent first (the repair view's dictionary)
    vocab = frozenset(w for w in words if len(w) >= 4)
    anagrams = frozenset("".join(sorted(w)) for w in vocab)
    deletions = frozenset(w[:i] + w[i + 1:] for w in vocab for i in range(len(w)))
    return vocab, anagrams, deletions, frozenset("".join(sorted(w)) for w in deletions)


def _is_leet(word: str) -> bool:
    """A word that writes letters as digits or symbols (p4yp4l, fr33, @ccount), not one that merely has a number."""
    word = word.strip(".,;:!?()[]\"'")
    if "@" in word and "." in word.split("@")[-1]:
        return False  # an e-mail address
    has_letter = any(c.isalpha() for c in word)
    return has_letter and any(c in "0123456789@$" for c in word) and not _PLAIN_MIX.match(word) and len(word) >= 3


def round_summary(frame: pd.DataFrame) -> dict[str, float]:
    """Attempts, students, and the shares that fooled the model and that it was not sure about."""
    n = len(frame)
    return {"attempts": n, "students": int(frame["session_id"].nunique()) if n else 0,
            "fooled": float(frame["fooled"].mean()) if n else 0.0,
            "not sure": float((frame["verdict"] == "unsure").mean()) if n else 0.0}


def trick_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per trick: attempts, the share that fooled the model and the share it was not sure about; most fooling first.
    """
    rows = [(trick, bool(r.fooled), r.verdict == "unsure") for r in frame.itertuples()
            for trick in _tricks(r.text, r.claimed)]
    used = pd.DataFrame(rows, columns=["trick", "fooled", "unsure"])
    if used.empty:
        return pd.DataFrame(columns=["trick", "attempts", "fooled", "not sure"])
    table = used.groupby("trick").agg(attempts=("fooled", "size"), fooled=("fooled", "mean"),
                                      not_sure=("unsure", "mean")).reset_index()
    table = table.rename(columns={"not_sure": "not sure"})
    return table.sort_values(["fooled", "attempts"], ascending=[False, False]).reset_index(drop=True)


def lesson_csv(frame: pd.DataFrame, comparison: pd.DataFrame | None = None) -> bytes:
    """The round's summary, its tricks and (when there is one) its before → after, as one CSV: section, name, value
    columns, so a spreadsheet opens it as it is."""
    rows = [("round", name, value) for name, value in round_summary(frame).items()]
    for r in trick_table(frame).itertuples(index=False):
        rows += [("trick: " + r.trick, "attempts", r.attempts), ("trick: " + r.trick, "fooled", r.fooled),
                 ("trick: " + r.trick, "not sure", r[3])]
    if comparison is not None:
        for measure, r in comparison.iterrows():
            rows += [("before → after: " + measure, "before", r["before"]),
                     ("before → after: " + measure, "after", r["after"])]
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=["section", "name", "value"]).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def lesson_html(round_id: int, run_name: str, frame: pd.DataFrame, comparison: pd.DataFrame | None = None) -> str:
    """One self-contained HTML page (no script, no link to fetch; every text escaped) for the end of the lesson."""
    from spamcore.runs.report import STYLE, _cards, _table

    summary = round_summary(frame)
    parts = [f"<h1>Class round {round_id}</h1>",
             f'<p class="meta">The model the class attacked: run {html.escape(run_name)}.</p>',
             _cards([("attempts", f"{summary['attempts']:,}"), ("students", f"{summary['students']:,}"),
                     ("fooled the model", f"{summary['fooled']:.0%}"), ("not sure", f"{summary['not sure']:.0%}")]),
             "<h2>Which tricks worked</h2>",
             '<p class="note">A message can use several tricks. Fooled: the model said the opposite of the truth; '
             "not sure: it gave no verdict (counted as caught).</p>",
             _table(trick_table(frame), digits=2)]
    if comparison is not None:
        table = comparison.reset_index().rename(columns={"index": "measure"})
        parts += ["<h2>Before → after the retrain</h2>",
                  '<p class="note">Both models on the same messages: the class messages held out of training, the '
                  "original test split and the robustness suite.</p>", _table(table)]
    fooled = frame[frame["fooled"]][["nickname", "text", "claimed", "verdict"]]
    parts += ["<h2>The messages that fooled it</h2>", _table(fooled) if len(fooled) else "<p>None.</p>",
              "<footer>Written by spamcore's Class board.</footer>"]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>spamcore class round {round_id}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
