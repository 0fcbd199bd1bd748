"""Extra training messages: the bundled modern supplement, or a user's labelled file.

``modern.tsv`` is hand-written for spamcore (UCI format, ``label<TAB>text``; 445 messages): message kinds that did
not exist, or were rare, in 2011 — parcel-fee, toll, tax and bank-lock smishing in UK and US wording, "hi mum" and
"new number" scams, boss gift-card requests, task-job and crypto offers, romance and "wrong number" openers,
money-from-home one-liners, short typed spam as people type it (a car won with exclamation marks, a diet trick,
money doubled in gift cards, free game currency) — and the ham they are confused with: one-time codes, delivery,
appointment and pharmacy notices, card alerts and receipts ending in "Reply STOP", links shared between friends, a
friend's real new number, service notices (data allowance, rewards, delivered parcels, appointment replies, a
colleague's meeting link), everyday messages that use spam's words ("WINNER!! we beat the quiz team", "FREE cake in
the staff room"). It is added to the training split only, never to validation or test, and no line shares half its
words with a suite message (a test checks it).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from spamcore.errors import DataError

if TYPE_CHECKING:  # pandas on use only: the names below are read on a verdict's path (spamcore.model.config)
    import pandas as pd


#: The hand-written supplement of message kinds that appeared after 2011 (``modern.tsv``, above).
BUNDLED_MODERN = "bundled:modern"
#: Everyday messages of today, written from templates: a distillation's transfer data (:mod:`.everyday`).
BUNDLED_EVERYDAY = "bundled:everyday"
#: Contrast pairs: scams and ham on the same topic that differ in what they ask (:mod:`.contrast`).
BUNDLED_CONTRAST = "bundled:contrast"


@cache
def _bundled_modern() -> bytes:
    return resources.files("spamcore.data.corpora").joinpath("modern.tsv").read_bytes()


#: ``class:N`` named a class round's messages before issue 33; training reads files only now (the Class board writes
#: the round's accepted messages into the retrained run's folder).
CLASS_PREFIX = "class:"


def load_extra(spec: str) -> pd.DataFrame:
    """The messages named by ``spec``: :data:`BUNDLED_MODERN`,
    :data:`BUNDLED_CONTRAST` (the contrast pairs),
    :data:`BUNDLED_EVERYDAY` (each
    with the label it was written as), a labelled file's path, or several of these joined by ``+``."""
    import pandas as pd

    from spamcore.data.messages import read_messages

    if "+" in spec:
        return pd.concat([load_extra(part) for part in spec.split("+") if part], ignore_index=True)
    if spec == BUNDLED_MODERN:
        return read_messages(_bundled_modern(), "bundled modern supplement")
    if spec == BUNDLED_CONTRAST:
        from spamcore.data.corpora.contrast import contrast_written

        return pd.DataFrame(contrast_written(CONTRAST_PAIRS), columns=["text", "label"])
    if spec == BUNDLED_EVERYDAY:
        return load_transfer(spec)
    if spec.startswith(CLASS_PREFIX):
        raise DataError(f"extra training data: {spec} names a class round; training reads files only — export the "
                        "round's accepted messages on the Class board (Export as CSV) and pass that file")
    try:
        return read_messages(spec, both_labels=False)
    except DataError as err:
        raise DataError(f"extra training data: {err}") from None


#: How many everyday messages ``bundled:everyday`` holds (spamcore.data.corpora.everyday).
EVERYDAY_MESSAGES = 2000


#: How many pairs ``bundled:contrast`` holds (spamcore.data.corpora.contrast): 1,600 messages, half of them ham.
CONTRAST_PAIRS = 800


#: The label of a transfer message that was written without one (the teacher's verdict gives it).
UNLABELED = -1


def load_transfer(spec: str) -> pd.DataFrame:
    """Messages for a distillation's transfer set (``text``, ``label``: 0 ham, 1 spam, :data:`UNLABELED`):
    :data:`BUNDLED_EVERYDAY` (each with the label it was written as), or a UTF-8 file with one
    unlabeled message per line (empty lines skipped), or several joined by ``+``."""
    import pandas as pd

    from spamcore.data.messages import decode_text, max_file_bytes

    if "+" in spec:
        return pd.concat([load_transfer(part) for part in spec.split("+") if part], ignore_index=True)
    if spec == BUNDLED_EVERYDAY:
        from spamcore.data.corpora.everyday import everyday_written

        return pd.DataFrame(everyday_written(EVERYDAY_MESSAGES), columns=["text", "label"])
    from pathlib import Path

    path = Path(spec).expanduser()
    if not path.is_file():
        raise DataError(f"transfer data: {spec!r} is not a file (one message per line) nor {BUNDLED_EVERYDAY!r}")
    if path.stat().st_size > max_file_bytes():
        raise DataError(f"transfer data: {spec!r} is larger than the {max_file_bytes() / 1e6:.0f} MB limit")
    texts = [line.strip() for line in decode_text(path.read_bytes(), spec).splitlines()]
    texts = [t for t in texts if t]
    if not texts:
        raise DataError(f"transfer data: {spec!r} holds no messages (one message per line expected)")
    return pd.DataFrame({"text": texts, "label": UNLABELED})
