"""Training-split augmentation that breaks the SMS collection's shortcuts (pure functions, seeded).

In the 2011 collection spam is long and full of phone numbers and short codes, ham is short and has few
digits: a model can score 0.99 on its test split by reading length and digits alone, then call "you won a
prize! call now" ham. Each augmentation adds one transformed copy of every training message, with its label,
so the model sees the same content without the shortcut:

- ``crop``: a random span of 3–12 consecutive words (short spam exists; long ham exists too);
- ``digits``: every run of digits (with an attached currency sign) removed (spam without numbers);
- ``numbers``: ham only, a number phrase of the kinds everyday messages hold (a time, an amount, a code, a
  phone number) put at a random word position (ham with numbers);
- ``typos``: in about a third of the words of four letters or more, two neighbouring letters swapped, one
  dropped or one doubled (spam with misspelt key words, ham as people type it);
- ``leet``: letters of one or two words replaced by digits and signs that look like them ("fr33", "c@$h");
- ``footers``: a quarter of the ham, with the opt-out line services end their texts with ("Reply STOP to opt
  out"): in 2011 only spam said it, today a pharmacy or a bank does too;
- ``chat``: the message inside friendly chat ("hey you! btw ... speak soon x", or a short ham message of the
  training split before it), label kept: spam wrapped in a friend's chatter is the first trick a class tries, and
  ham is chatty too (issue 27);
- ``swaps``: letter edits at the density of real smishing — most words, up to one swap, drop or inserted
  letter per four letters each (issue 27; not in the default yet).

Tricks a reader cannot see — look-alike letters, invisible characters, spaced-out letters — are undone before the
model reads the text (:mod:`spamcore.text.normalise`) and need no augmentation.

Only the training split is augmented; validation and test stay as they were, so their scores stay comparable
with runs without augmentation. Case changes are not offered: the default model's vocabulary is uncased, so
they would change nothing it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from spamcore.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

AUGMENTATIONS: tuple[str, ...] = ("crop", "digits", "numbers", "typos", "leet", "footers", "chat", "swaps")

_DIGIT_RUN = re.compile(r"[£$€]?\d[\d,.:/-]*\d?[pP]?")
_SPACES = re.compile(r"\s{2,}")


def parse_augmentations(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Names from ``"crop,digits"`` (or a sequence), checked, de-duplicated, in :data:`AUGMENTATIONS` order.

    Example: ``parse_augmentations("digits, crop") == ("crop", "digits")``; ``""`` and ``"none"`` give ``()``.
    """
    if value is None:
        return ()
    names = [n.strip().lower() for n in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n and n != "none"]
    unknown = sorted(set(names) - set(AUGMENTATIONS))
    if unknown:
        raise ConfigError(f"unknown augmentation(s) {', '.join(map(repr, unknown))}; choose from "
                          f"{', '.join(AUGMENTATIONS)} (comma-separated) or 'none'")
    return tuple(n for n in AUGMENTATIONS if n in names)


def span_crop(text: str, rng: np.random.Generator, min_words: int = 3, max_words: int = 12) -> str:
    """A random run of ``min_words``..``max_words`` consecutive words (the whole text when it is shorter).

    Example: a 2-word text comes back unchanged; a 40-word text comes back as 3 to 12 of its words in order.
    """
    words = text.split()
    if len(words) <= min_words:
        return text
    size = int(rng.integers(min_words, min(max_words, len(words)) + 1))
    start = int(rng.integers(0, len(words) - size + 1))
    return " ".join(words[start : start + size])


def strip_digits(text: str) -> str:
    """``text`` without its digit runs (and a currency sign in front of one), spaces tidied.

    Example: ``strip_digits("Call 09061701461 to claim £900 now") == "Call to claim now"``
    """
    return _SPACES.sub(" ", _DIGIT_RUN.sub("", text)).strip()


def insert_number(text: str, rng: np.random.Generator) -> str:
    """``text`` with one everyday number phrase (time, amount, code, phone number) at a random word position.

    Example: ``insert_number("see you later", rng)`` may give ``"see you at 7:45 later"``.
    """
    digits = lambda n: "".join(str(d) for d in rng.integers(0, 10, size=n))  # noqa: E731
    phrases = (
        f"at {rng.integers(1, 13)}:{rng.integers(0, 60):02d}",
        f"{rng.integers(1, 13)}pm",
        f"£{rng.integers(2, 200)}",
        f"{rng.integers(2, 500)}.{rng.integers(0, 100):02d}",
        digits(6),
        f"07{digits(3)} {digits(6)}",
        f"no. {rng.integers(1, 300)}",
    )
    words = text.split()
    at = int(rng.integers(0, len(words) + 1))
    return " ".join([*words[:at], phrases[int(rng.integers(len(phrases)))], *words[at:]])


_LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1|", "g": "9", "b": "8"}
_LETTERS = re.compile(r"[A-Za-z]{4,}")


def typos(text: str, rng: np.random.Generator, share: float = 0.35) -> str:
    """About ``share`` of the words of four letters or more misspelt once: a swap, a drop or a double.

    Example: ``typos("claim your prize now", rng)`` may give ``"cliam your prze now"``.
    """
    def change(match: re.Match) -> str:
        word = match.group()
        return word if rng.random() >= share else _misspell(word, rng)

    return _LETTERS.sub(change, text)


def _misspell(word: str, rng: np.random.Generator, insert: bool = False) -> str:
    """One edit inside ``word`` (three letters or more): neighbours swapped, a letter dropped, or a letter doubled —
    with ``insert``, a random letter put in instead. Example: "prize" may become "pirze", "prze" or "prizze"."""
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    extra = _NEIGHBOURS[int(rng.integers(len(_NEIGHBOURS)))] if insert else word[i]
    return word[:i] + extra + word[i:]


def leetspeak(text: str, rng: np.random.Generator) -> str:
    """One or two words of four letters or more with most of their leet-able letters replaced.

    Example: ``leetspeak("free cash prize", rng)`` may give ``"fr33 c@$h prize"``.
    """
    words = list(_LETTERS.finditer(text))
    if not words:
        return text
    chosen = {int(i) for i in rng.choice(len(words), size=min(len(words), int(rng.integers(1, 3))), replace=False)}
    out, last = [], 0
    for k, match in enumerate(words):
        word = match.group()
        if k in chosen:
            word = "".join(rng.choice(list(_LEET[c.lower()])) if c.lower() in _LEET and rng.random() < 0.8 else c
                           for c in word)
        out += [text[last:match.start()], word]
        last = match.end()
    return "".join([*out, text[last:]])


_FOOTERS = (
    "Reply STOP to opt out", "Reply STOP to opt out.", "Txt STOP to unsubscribe", "To stop these texts, reply STOP",
    "Reply HELP for help, STOP to end", "Msg&data rates may apply. Reply STOP to cancel", "Text STOP to 60060",
    "Reply STOP to stop receiving these messages", "STOP to opt out",
)


def add_footer(text: str, rng: np.random.Generator, share: float = 0.25) -> str:
    """``text`` with an opt-out footer for about ``share`` of the calls, else unchanged (then not added).

    Example: ``add_footer("Your prescription is ready", rng)`` may give ``"Your prescription is ready. Reply STOP
    to opt out"``.
    """
    if rng.random() >= share:
        return text
    body = text.rstrip()
    joint = " " if body[-1:] in ".!?" else ". "
    return body + joint + _FOOTERS[int(rng.integers(len(_FOOTERS)))]


#: Friendly chat a message can sit in (written for training; the evasion suite's wrappers are its own).
_CHAT_OPENERS = (
    "hey you!", "hiya, hope your week's going ok", "omg it's been ages!", "morning! did you sleep ok?",
    "haha that was so funny yesterday", "hi hun, how are the kids?", "yo, good game last night",
    "thanks for the lift earlier!", "hey, long time no chat", "hope you got home safe x",
    "lol I still can't believe it", "hi! lovely to see you at the weekend",
)
_CHAT_LINKS = ("btw", "oh and", "anyway,", "also,", "random but", "quick thing:", "before I forget,", "oh also")
_CHAT_CLOSERS = ("speak soon x", "love you lots", "let me know!", "see you sunday :)", "text me back when you can",
                 "miss you!", "ok gotta run", "haha anyway bye")


def chat_wrap(text: str, rng: np.random.Generator, chatter: Sequence[str] = ()) -> str:
    """``text`` inside friendly chat — an opener and a link word before it, sometimes a closer after; the label
    stays the message's (spam in chat is still spam, ham in chat still ham). Half the openers come from ``chatter``
    when it is given (short ham of the training split: real friends' chat, more varied than any list).

    Example: ``chat_wrap("Your parcel fee is unpaid", rng)`` may give ``"hey you! btw Your parcel fee is unpaid
    speak soon x"``.
    """
    if len(chatter) and rng.random() < 0.5:
        opener = str(chatter[int(rng.integers(len(chatter)))]).strip()
    else:
        opener = _CHAT_OPENERS[int(rng.integers(len(_CHAT_OPENERS)))]
    link = _CHAT_LINKS[int(rng.integers(len(_CHAT_LINKS)))]
    closer = f" {_CHAT_CLOSERS[int(rng.integers(len(_CHAT_CLOSERS)))]}" if rng.random() < 0.4 else ""
    return f"{opener} {link} {text.strip()}{closer}"


def chatter_of(frame: pd.DataFrame, max_words: int = 8) -> list[str]:
    """The short ham of ``frame`` (at most ``max_words`` words): what :func:`chat_wrap` may open with."""
    ham = frame.loc[frame["label"] == 0, "text"]
    return [t for t in ham if 2 <= len(t.split()) <= max_words]


_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"


def dense_swaps(text: str, rng: np.random.Generator, share: float = 0.8) -> str:
    """Letter swaps at the density real smishing uses: about ``share`` of the words of three letters or more get
    edits — one to one per four letters of the word, each a neighbouring pair swapped, a letter dropped, or a letter
    inserted — so that few words survive as written.

    Example: ``dense_swaps("your account is locked", rng)`` may give ``"yuor acocnut is lcoekd"``.
    """
    def change(match: re.Match) -> str:
        word = match.group()
        if rng.random() >= share:
            return word
        for _ in range(int(rng.integers(1, 2 + len(word) // 4))):
            word = _misspell(word, rng, insert=True) if len(word) >= 3 else word
        return word

    return _WORDS3.sub(change, text)


_WORDS3 = re.compile(r"[A-Za-z]{3,}")


#: Augmentations that make ham only: ham with numbers, ham with the opt-out footer services end texts with.
HAM_ONLY = frozenset({"numbers", "footers"})


def transforms(rng: np.random.Generator, chatter: Sequence[str] = (),
               footer_share: float = 0.25) -> dict[str, Callable[[str], str]]:
    """Each augmentation as a function of one text, drawing from ``rng`` (one generator, so a seed fixes them all).

    ``footer_share`` is the share of calls ``footers`` changes: a quarter for a fixed copy of the ham, every call when
    a sampler has already drawn ``footers`` for the message (:mod:`spamcore.training.sampler`)."""
    return {
        "crop": lambda t: span_crop(t, rng),
        "digits": strip_digits,
        "numbers": lambda t: insert_number(t, rng),
        "typos": lambda t: typos(t, rng),
        "leet": lambda t: leetspeak(t, rng),
        "footers": lambda t: add_footer(t, rng, footer_share),
        "chat": lambda t: chat_wrap(t, rng, chatter),
        "swaps": lambda t: dense_swaps(t, rng),
    }


def augment_frame(frame: pd.DataFrame, names: Sequence[str], seed: int) -> pd.DataFrame:
    """``frame`` followed by one transformed copy per augmentation in ``names`` (the recipe before issue 31, which
    draws perturbations fresh at each read instead: :mod:`spamcore.training.sampler`).

    A copy identical to its source, or emptied by the transformation, is left out: it would only weight that
    message twice. The result has a fresh index; originals come first, in order; the column ``augmented`` tells
    the copies apart (training can end each epoch on the messages as written) and ``augmentation`` names the one
    that made each copy ("" for an original).
    """
    import pandas as pd  # here, not at the top: the config imports this module, and a verdict needs no pandas

    rng = np.random.default_rng(seed)
    made = transforms(rng, chatter_of(frame))
    parts = [frame[["text", "label"]].assign(augmentation="")]
    for name in parse_augmentations(list(names)):
        source = frame[frame["label"] == 0] if name in HAM_ONLY else frame
        texts = [made[name](t) for t in source["text"]]
        copy = pd.DataFrame({"text": texts, "label": source["label"].to_numpy(), "augmentation": name})
        keep = (copy["text"].str.strip() != "") & (copy["text"].to_numpy() != source["text"].to_numpy())
        parts.append(copy[keep])
    out = pd.concat(parts, ignore_index=True)
    out["augmented"] = np.arange(len(out)) >= len(frame)
    return out
