"""Many messages at once: read them from pasted text or a file, and export verdicts as a safe CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from spamcore.data.messages import TEXT_COLUMNS, decode_text, read_messages
from spamcore.errors import DataError

if TYPE_CHECKING:  # a verdict of any engine (data sits below the model layer: names only)
    from spamcore.model.verdicts import Prediction

#: Most messages classified in one bulk request.
MAX_BULK_MESSAGES = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def split_lines(text: str) -> list[str]:
    """Non-empty lines of pasted text, one message each. Example: ``split_lines("a\\n\\n b ") == ["a", " b "]``"""
    return [line for line in text.splitlines() if line.strip()]


def read_texts(raw: bytes, name: str = "uploaded file") -> list[str]:
    """Messages from a file: a CSV/TSV whose header has a text column (``text``, ``message``, ``sms`` or ``v2``),
    a labelled SMS Spam Collection file, or plain text with one message per line.
    """
    text = decode_text(raw, name)
    lines = split_lines(text)
    if not lines:
        raise DataError(f"{name}: the file is empty; expected one message per line or a CSV with a 'text' column")
    header = lines[0]
    delimiter = "\t" if "\t" in header else (";" if header.count(";") > header.count(",") else ",")
    columns = [c.strip().strip('"').lower() for c in header.split(delimiter)]
    if any(c in TEXT_COLUMNS for c in columns):
        try:
            table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                                quoting=csv.QUOTE_MINIMAL, engine="python")
        except (pd.errors.ParserError, csv.Error) as err:
            raise DataError(f"{name}: cannot be read as CSV/TSV ({err})") from None
        by_name = {str(c).strip().lower(): c for c in table.columns}
        column = by_name[next(c for c in TEXT_COLUMNS if c in by_name)]
        texts = [t for t in table[column].astype(str) if t.strip()]
    elif header.partition("\t")[0].strip().lower() in ("ham", "spam"):
        texts = list(read_messages(raw, name)["text"])
    else:
        texts = lines
    if not texts:
        raise DataError(f"{name}: has a text column but no messages in it")
    if len(texts) > MAX_BULK_MESSAGES:
        raise DataError(f"{name}: {len(texts):,} messages is more than the {MAX_BULK_MESSAGES:,} allowed at once")
    return texts


def predictions_frame(predictions: Sequence[Prediction]) -> pd.DataFrame:
    """One row per message: message, verdict ("spam", "ham" or "unsure"), leaning (the label at the threshold),
    spam probability, truncated."""
    return pd.DataFrame({
        "message": [p.text for p in predictions],
        "verdict": [p.verdict for p in predictions],
        "leaning": [p.label for p in predictions],
        "spam_probability": [round(p.spam_probability, 4) for p in predictions],
        "truncated": [p.truncated for p in predictions],
    })


def escape_formula(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with ``'``. Example: ``escape_formula("=1+1") == "'=1+1"``"""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, for spreadsheets) where no cell can be run as a formula."""
    safe = frame.apply(lambda column: column.map(escape_formula)) if len(frame) else frame
    return safe.to_csv(index=False).encode("utf-8-sig")
