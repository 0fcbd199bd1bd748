"""Labelled messages: find them, read them, split them, summarise them.

A dataset is a ``pandas.DataFrame`` with two columns, ``text`` (str) and ``label`` (int: 0 = ham, 1 = spam).
Accepted files:

- the UCI SMS Spam Collection format: ``label<TAB>text`` per line, no header;
- CSV or TSV with a header holding ``label`` and ``text`` columns (any case; labels ``ham``/``spam`` or
  ``0``/``1``, any case);
- the Kaggle ``spam.csv`` (columns ``v1``, ``v2`` plus empty extras, latin-1 encoded).

Every problem a user can cause raises :class:`~spamcore.errors.DataError` naming the file, the line or
column, and what was expected.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spamcore.cache import cache_dir
from spamcore.errors import DataError
from spamcore.text.labels import LABEL_NAMES

UCI_URL = "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip"
UCI_FILE = "SMSSpamCollection"
#: sha256 of the UCI file with line ends normalised to LF (see ``_normalised_sha256``).
UCI_SHA256 = "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"
CITATION = (
    "Almeida, T.A., Gómez Hidalgo, J.M. (2011). SMS Spam Collection [Dataset]. "
    "UCI Machine Learning Repository. https://doi.org/10.24432/C5CC84 (CC BY 4.0)"
)
#: Files larger than this are refused before reading (the SMS collection is 0.5 MB); ``$SPAMCORE_MAX_DATA_MB``
#: raises or lowers it.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_DATA_ENV = "SPAMCORE_MAX_DATA_MB"
SPLIT_SEED = 42

_LABEL_VALUES = {"ham": 0, "spam": 1, "0": 0, "1": 1}
TEXT_COLUMNS = ("text", "message", "sms", "v2")
LABEL_COLUMNS = ("label", "class", "category", "v1")
_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive (unzip it first)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive (decompress it first)",
}


@dataclass(frozen=True)
class Split:
    """The reference split: 70 % train, 15 % validation, 15 % test, stratified, seed 42."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


# ---------------------------------------------------------------------------------------------- reading


def read_messages(source: str | os.PathLike[str] | bytes, name: str | None = None, *,
                  both_labels: bool = True) -> pd.DataFrame:
    """Read a labelled message file (path or raw bytes) into a ``text``/``label`` DataFrame.

    ``name`` is used in error messages (defaults to the path; pass the upload's file name for bytes). With
    ``both_labels`` (the default) a file of one label only is refused: a classifier needs both; extra training data
    may hold one (a class whose accepted messages are all spam).

    Example: ``read_messages(b"ham\\tOk lar\\nspam\\tWIN now\\n", "x.txt").label.tolist() == [0, 1]``
    """
    limit = max_file_bytes()
    if isinstance(source, bytes):
        raw, name = source, name or "uploaded file"
    else:
        path = Path(source).expanduser()
        name = name or str(path)
        raw = _read_limited(path, name, limit)
    if len(raw) > limit:
        raise DataError(f"{name}: larger than the {limit / 1e6:.0f} MB limit{_limit_hint()}")
    text = decode_text(raw, name)
    if not text.strip():
        raise DataError(f"{name}: the file is empty; expected labelled messages (label and text)")
    first = _first_line(text)
    frame = _parse_uci(text.splitlines(), name) if _looks_like_uci(first) else _parse_table(text, first, name)
    if both_labels:
        _check_classes(frame, name)
    return frame


def write_messages(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``text``/``label`` messages as a TSV with a header (``label`` as ham/spam) that :func:`read_messages`
    reads back; the path."""
    path = Path(path)
    frame[["label", "text"]].assign(label=frame["label"].map({0: "ham", 1: "spam"})).to_csv(path, sep="\t",
                                                                                          index=False)
    return path


def max_file_bytes() -> int:
    """The largest data file read: ``$SPAMCORE_MAX_DATA_MB`` megabytes, else :data:`MAX_FILE_BYTES`."""
    value = os.environ.get(MAX_DATA_ENV, "").strip()
    if not value:
        return MAX_FILE_BYTES
    try:
        megabytes = float(value)
    except ValueError:
        raise DataError(f"{MAX_DATA_ENV}={value!r} is not a number of megabytes") from None
    if not megabytes > 0:
        raise DataError(f"{MAX_DATA_ENV}={value!r} must be a positive number of megabytes")
    return int(megabytes * 1e6)


def _limit_hint() -> str:
    return f"; use a smaller sample of the file, or set {MAX_DATA_ENV} to a larger number of megabytes"


def _read_limited(path: Path, name: str, limit: int) -> bytes:
    """The bytes of a regular file no larger than ``limit``. Devices, FIFOs and sockets are refused before any
    read (``/dev/zero`` or a pipe would read forever), and the read stops one byte past the limit in case the file
    grows while it is read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except NotADirectoryError:
        raise DataError(f"{name}: file not found (a part of the path is a file, not a folder)") from None
    except OSError as err:
        raise DataError(f"{name}: cannot be read ({err.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{name}: is a folder; expected a CSV, TSV or SMSSpamCollection file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{name}: is not a regular file (a device, pipe or socket); expected a CSV, TSV or "
                        "SMSSpamCollection file")
    if info.st_size > limit:
        raise DataError(f"{name}: {info.st_size / 1e6:.0f} MB is larger than the {limit / 1e6:.0f} MB limit"
                        + _limit_hint())
    try:
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except OSError as err:
        raise DataError(f"{name}: cannot be read ({err.strerror})") from None


def decode_text(raw: bytes, name: str) -> str:
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"{name}: this is {what}, not a text file of labelled messages")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as err:
            raise DataError(f"{name}: starts like UTF-16 text but cannot be decoded ({err.reason})") from None
    head = raw[:65536]
    if b"\x00" in head:
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            raise DataError(
                f"{name}: looks like UTF-16 text without a byte-order mark; save it as UTF-8 (or UTF-16 with BOM)"
            )
        raise DataError(f"{name}: contains binary data (NUL bytes); expected a text file of labelled messages")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # The popular Kaggle copy (spam.csv) is latin-1; every byte string decodes as latin-1.
        return raw.decode("latin-1")


def _first_line(text: str) -> str:
    """The first non-blank line, found without splitting the whole (possibly 50 MB) text."""
    start = 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip() or end < 0:
            return line.rstrip("\r")
        start = end + 1


def _looks_like_uci(first_line: str) -> bool:
    label, sep, _ = first_line.partition("\t")
    return bool(sep) and label.strip().lower() in ("ham", "spam")


def _parse_uci(lines: list[str], name: str) -> pd.DataFrame:
    texts: list[str] = []
    labels: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        label, sep, message = line.partition("\t")
        if not sep:
            raise DataError(f"{name}, line {number}: expected 'label<TAB>text', found no tab")
        labels.append(_parse_label(label, name, f"line {number}"))
        texts.append(_check_text(message, name, f"line {number}"))
    return pd.DataFrame({"text": texts, "label": np.asarray(labels, dtype=np.int64)})


def _parse_table(text: str, header: str, name: str) -> pd.DataFrame:
    delimiter = "\t" if "\t" in header else (";" if header.count(";") > header.count(",") else ",")
    try:
        table = _read_table(text, delimiter, "c")  # fast: a million rows in seconds
    except pd.errors.ParserWarning:
        # The C engine also warns on a harmless trailing delimiter ("ham,text,"); the python engine tells it
        # apart from a real extra field.
        try:
            table = _read_table(text, delimiter, "python")
        except pd.errors.ParserWarning:
            raise DataError(
                f"{name}: some rows have more fields than the header; put messages that contain {delimiter!r} "
                "in double quotes"
            ) from None
        except (pd.errors.ParserError, csv.Error) as err:
            raise DataError(f"{name}: cannot be read as CSV/TSV ({err})") from None
    except (pd.errors.ParserError, csv.Error) as err:
        raise DataError(f"{name}: cannot be read as CSV/TSV ({err})") from None
    columns = {str(c).strip().lower(): c for c in table.columns}
    label_col = next((columns[c] for c in LABEL_COLUMNS if c in columns), None)
    text_col = next((columns[c] for c in TEXT_COLUMNS if c in columns), None)
    if label_col is None or text_col is None:
        found = ", ".join(repr(str(c)) for c in table.columns[:8]) or "none"
        missing = " and ".join(
            kind for kind, col in (("a 'label' column", label_col), ("a 'text' column", text_col)) if col is None
        )
        raise DataError(
            f"{name}: missing {missing}; found columns {found}. Expected a header with 'label' and 'text' "
            "(or the UCI format 'ham<TAB>message' without a header)"
        )
    if table.empty:
        raise DataError(f"{name}: has a header but no rows of messages")
    # Row i of the table is line i + 2 of the file (line 1 is the header) when no message spans lines.
    # Vectorised (a million rows in about a second); the first bad row is reported like the UCI reader does.
    raw_labels, texts = table[label_col].astype(str), table[text_col].astype(str)
    keys = raw_labels.str.strip().str.lower()
    keys = keys.where(~keys.str.endswith(".0"), keys.str[:-2])  # "1.0" from spreadsheets
    labels = keys.map(_LABEL_VALUES)
    for bad in (labels.isna(), texts.str.strip() == ""):
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            _parse_label(raw_labels.iloc[i], name, f"line {i + 2}, column {label_col!r}")
            _check_text(texts.iloc[i], name, f"line {i + 2}, column {text_col!r}")
    return pd.DataFrame({"text": texts.to_numpy(dtype=object), "label": labels.to_numpy(dtype=np.int64)})


def _read_table(text: str, delimiter: str, engine: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        # index_col=False: a trailing delimiter must not turn the label column into the index. A row with more
        # fields than the header (an unquoted delimiter in a message) would then lose its end, with only a
        # warning: the caller makes that an error instead.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, index_col=False,
            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True, engine=engine,
        )


def _parse_label(value: object, name: str, where: str) -> int:
    key = str(value).strip().lower()
    if key.endswith(".0"):  # "1.0" from spreadsheets
        key = key[:-2]
    if key not in _LABEL_VALUES:
        shown = str(value)[:40]
        raise DataError(f"{name}, {where}: unknown label {shown!r}; expected ham/spam or 0/1")
    return _LABEL_VALUES[key]


def _check_text(value: object, name: str, where: str) -> str:
    text = str(value)
    if not text.strip():
        raise DataError(f"{name}, {where}: the message text is empty; remove the row or fill it in")
    return text


def _check_classes(frame: pd.DataFrame, name: str) -> None:
    counts = frame["label"].value_counts()
    if len(counts) < 2:
        only = LABEL_NAMES[int(counts.index[0])]
        raise DataError(
            f"{name}: every message is labelled {only!r}; a classifier needs both ham and spam examples"
        )


# ------------------------------------------------------------------------------------ finding the data


#: Where a checkout of this repository finds the collection when it sits beside a course's ``shared`` folder
#: (``../shared/data`` from the project's root), as the tests and CI do.
BESIDE_CHECKOUT = Path(__file__).resolve().parents[3] / "shared" / "data" / UCI_FILE


def find_data(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The data file to use without downloading, in order: ``path``, ``$SPAMCORE_DATA``, the cache copy, and
    ``../shared/data/SMSSpamCollection`` beside the project folder. None when there is none."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get("SPAMCORE_DATA")
    if env:
        return Path(env).expanduser()
    return next((p for p in (cache_dir() / UCI_FILE, BESIDE_CHECKOUT) if p.is_file()), None)


def resolve_data(
    path: str | os.PathLike[str] | None = None, *, download: bool = True, url: str = UCI_URL,
    sha256: str | None = UCI_SHA256,
) -> Path:
    """Where the messages come from: :func:`find_data`'s places, else a verified download."""
    found = find_data(path)
    if found is not None:
        return found
    if not download:
        raise DataError(missing_data_message())
    return download_dataset(url=url, sha256=sha256)


def missing_data_message() -> str:
    return (
        "No SMS Spam Collection found. Pass --data PATH (or upload a file in the app), set SPAMCORE_DATA to the "
        f"file, or put it at {cache_dir() / UCI_FILE}. It can be downloaded from {UCI_URL}"
    )


def download_dataset(
    url: str = UCI_URL, dest_dir: Path | None = None, sha256: str | None = UCI_SHA256, timeout: float = 30.0
) -> Path:
    """Download the UCI zip, verify the collection's checksum and store it in the cache; return its path."""
    dest_dir = dest_dir or cache_dir()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise DataError(
            f"Could not download the SMS Spam Collection from {url} ({reason}); without internet, download "
            f"the zip elsewhere, unzip it and pass --data PATH/{UCI_FILE} or set SPAMCORE_DATA to that file"
        ) from None
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            member = next((n for n in archive.namelist() if Path(n).name == UCI_FILE), None)
            if member is None:
                raise DataError(f"The download from {url} holds no {UCI_FILE} file")
            content = archive.read(member)
    except zipfile.BadZipFile:
        raise DataError(f"The download from {url} is not a valid zip archive; try again later") from None
    if sha256 is not None and _normalised_sha256(content) != sha256:
        raise DataError(f"The download from {url} does not match the expected checksum; not using it")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / UCI_FILE
    with tempfile.NamedTemporaryFile(dir=dest_dir, delete=False) as tmp:
        tmp.write(content)
    os.replace(tmp.name, target)
    return target


def _normalised_sha256(content: bytes) -> str:
    return hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()


# -------------------------------------------------------------------------------------------- splitting


def subsample(frame: pd.DataFrame, max_rows: int | None, seed: int = SPLIT_SEED) -> pd.DataFrame:
    """A stratified sample of ``max_rows`` messages (all of them when ``max_rows`` is None or larger)."""
    if max_rows is None or max_rows >= len(frame):
        return frame
    from sklearn.model_selection import train_test_split

    kept, _ = train_test_split(frame, train_size=max_rows, random_state=seed, stratify=frame["label"])
    return kept.sort_index()


def deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each (text, label) pair kept once, first occurrence, order kept.

    Example: ``len(deduplicate(pd.DataFrame({"text": ["a", "a", "b"], "label": [0, 0, 1]}))) == 2``
    """
    return frame[~frame.duplicated(subset=["text", "label"])]


def duplicate_audit(frame: pd.DataFrame, split: Split) -> dict[str, int]:
    """How repeated messages touch the split: repeats in ``frame``, and test/validation messages whose exact
    text also stands in the training part (a model can score those by memory).

    Example: on the 5,574 UCI messages split with seed 42, about 400 rows repeat an earlier one.
    """
    train_texts = set(split.train["text"])
    return {
        "rows": len(frame),
        "repeated_rows": int(frame.duplicated(subset=["text", "label"]).sum()),
        "distinct_texts": int(frame["text"].nunique()),
        "test": len(split.test),
        "test_in_train": int(split.test["text"].isin(train_texts).sum()),
        "validation": len(split.validation),
        "validation_in_train": int(split.validation["text"].isin(train_texts).sum()),
    }


def split_dataset(frame: pd.DataFrame, seed: int = SPLIT_SEED) -> Split:
    """Stratified 70/15/15 split exactly as the reference notebook (test_size 0.3, then 0.5 of it).

    Example: ``split_dataset(df).sizes()`` on the 5,574 UCI messages gives 3901 / 836 / 837.
    """
    from sklearn.model_selection import train_test_split

    counts = frame["label"].value_counts()
    if len(counts) < 2 or counts.min() < 4 or len(frame) < 20:
        raise DataError(
            f"too few messages to split 70/15/15: {len(frame)} messages, {int(counts.min())} in the smaller "
            "class; need at least 20 messages and 4 of each class"
        )
    try:
        train, rest = train_test_split(frame, test_size=0.3, random_state=seed, stratify=frame["label"])
        validation, test = train_test_split(rest, test_size=0.5, random_state=seed, stratify=rest["label"])
    except ValueError as err:
        raise DataError(f"cannot split these messages 70/15/15 with stratification: {err}") from None
    return Split(*(part.reset_index(drop=True) for part in (train, validation, test)))


def split_table(split: Split) -> pd.DataFrame:
    """Messages, ham and spam per part of the split, for display.

    Example: on the 5,574 UCI messages the rows are 3,901 / 836 / 837 messages.
    """
    parts = (("train (70 %)", split.train), ("validation (15 %)", split.validation), ("test (15 %)", split.test))
    return pd.DataFrame([{"split": name, "messages": len(part), "ham": int((part["label"] == 0).sum()),
                          "spam": int((part["label"] == 1).sum())} for name, part in parts])


def class_weights(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """Balanced class weights ``n / (2 * count)`` for labels 0 and 1 (sklearn's ``"balanced"``).

    Example: ``class_weights([0, 0, 0, 1]).round(3).tolist() == [0.667, 2.0]``
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    if (counts == 0).any():
        raise DataError("class weights need both classes in the training split")
    return len(labels) / (2.0 * counts)


# -------------------------------------------------------------------------------------------- summaries


def label_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Count and share of each label, in order ham, spam."""
    counts = np.bincount(frame["label"].to_numpy(), minlength=2)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"label": list(LABEL_NAMES), "count": counts, "share": counts / total})


def word_counts(texts: Iterable[str]) -> np.ndarray:
    """Words (whitespace-separated) per message. Example: ``word_counts(["a b", ""]).tolist() == [2, 0]``"""
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64)


def token_counts(tokenizer, texts: Sequence[str]) -> np.ndarray:
    """WordPiece tokens per message including [CLS] and [SEP], without truncation."""
    encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
    return np.fromiter((len(ids) for ids in encoded["input_ids"]), dtype=np.int64)


def truncated_share(lengths: np.ndarray, max_length: int) -> float:
    """Share of messages longer than ``max_length`` tokens. Example: ``truncated_share([3, 30], 25) == 0.5``"""
    lengths = np.asarray(lengths)
    return float((lengths > max_length).mean()) if lengths.size else 0.0
