"""Extra training messages: the bundled modern supplement, or a user's labelled file.

``modern.tsv`` is hand-written for spamcore (UCI format, ``label<TAB>text``): message kinds that did not
exist, or were rare, in 2011 — parcel-fee and bank-lock smishing, "hi mum" scams, task-job and crypto offers,
and the transactional ham they are confused with (one-time codes, delivery and appointment notices). It is
added to the training split only, never to validation or test, and shares no line with the robustness suite.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from spamcore.config import BUNDLED_MODERN
from spamcore.data import read_messages
from spamcore.errors import DataError


@cache
def _bundled_modern() -> bytes:
    return resources.files("spamcore.corpora").joinpath("modern.tsv").read_bytes()


def load_extra(spec: str) -> pd.DataFrame:
    """The messages named by ``spec``: :data:`~spamcore.config.BUNDLED_MODERN` or a labelled file's path."""
    if spec == BUNDLED_MODERN:
        return read_messages(_bundled_modern(), "bundled modern supplement")
    try:
        return read_messages(spec)
    except DataError as err:
        raise DataError(f"extra training data: {err}") from None
