"""What a careful reader checks in a message, found with plain patterns — shown beside a verdict to teach what to
look for. The model never sees these: they are not features, and nothing here changes a verdict.

Also the operating point in people's words: at a threshold, how many of 1,000 normal messages would be blocked and
how many of 100 spam caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Link-shortening services: the real destination is hidden until the link is opened.
SHORTENERS = ("bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("link", re.compile(r"\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|io|co|uk|ly)"
                        r"(?:/\S*)?\b", re.IGNORECASE)),
    ("phone number", re.compile(r"(?<!\d)(?:\+?\d[\d ]{9,14}\d)(?!\d)")),
    ("short code", re.compile(r"\b(?:text|txt|reply|send)\s+\w+\s+to\s+(\d{4,6})\b", re.IGNORECASE)),
    ("money", re.compile(r"[£$€]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:pounds|dollars|euros|gbp|usd|eur)\b",
                         re.IGNORECASE)),
)


@dataclass(frozen=True)
class Indicator:
    kind: str  # "link", "shortened link", "phone number", "short code", "money"
    text: str  # the characters found


def find_indicators(text: str) -> list[Indicator]:
    """Links (shortened ones named so), phone numbers, short codes and money amounts in ``text``, in order of kind.

    Example: ``find_indicators("Win £500! Text WIN to 80086 or see bit.ly/x")`` gives a shortened link
    ``bit.ly/x``, the short code ``80086`` and the money ``£500``.
    """
    found: list[Indicator] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = (match.group(1) if match.groups() else match.group(0)).strip()
            if kind == "link" and any(value.lower().removeprefix("https://").removeprefix("http://")
                                      .startswith(s + "/") or value.lower() == s for s in SHORTENERS):
                kind_here = "shortened link"
            else:
                kind_here = kind
            found.append(Indicator(kind_here, value))
    return found


def operating_point_words(fp: int, tn: int, tp: int, fn: int) -> str:
    """The confusion counts at a threshold as a sentence about 1,000 normal messages and 100 spam.

    Example: ``operating_point_words(fp=5, tn=995, tp=90, fn=10)`` →
    ``"Of 1,000 normal messages, about 5 would be blocked; of 100 spam, about 90 would be caught."``
    """
    blocked = 1000 * fp / max(fp + tn, 1)
    caught = 100 * tp / max(tp + fn, 1)
    return (f"Of 1,000 normal messages, about {blocked:,.0f} would be blocked; of 100 spam, about {caught:.0f} "
            "would be caught.")
