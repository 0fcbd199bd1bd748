"""A teacher's judgement kept as data (issue 38): its spam log-odds on every clean text a student distils on, keyed
by a hash of the text, with the teacher's recipe, seed, commit and figures recorded beside them.

Training the MPNet teacher the strongest way takes an hour or more on a laptop's CPU; the student that copies it
takes minutes. Once the teacher has spoken, its verdicts are all a student needs (Hinton et al. 2015: the soft
targets, not the weights, carry the knowledge), so they are stored in the repository (``bench/teacher-mpnet.json``)
and ``python bench/ready_model.py build`` rebuilds the shipped student from the file with no teacher at hand.

The file holds no message: each text is named by the first 16 hex digits of its UTF-8 SHA-256 (the SMS Spam
Collection's licence asks that the data not be redistributed here). Log-odds, not probabilities, rounded to 1e-3:
a teacher's 0.9999 and 0.999999 differ by 4.6 in log-odds, which a temperature of 2 still shows.

A distillation names the file where it would name a teacher run (``TrainConfig.distil_from``); a text the file does
not know is a clear error that says how to remake the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from spamcore.errors import RunError

#: The format of the file; a reader refuses another.
TEACHER_FILE_FORMAT = 1
#: How a file is told from a run folder where a teacher is named.
TEACHER_FILE_SUFFIX = ".json"
REMAKE = "python bench/ready_model.py store --teacher RUN"


def text_key(text: str) -> str:
    """The name a text goes by in a teacher file: 64 bits of its SHA-256 (UTF-8, as written)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def is_teacher_file(source: str | Path) -> bool:
    """Whether ``source`` names a teacher file rather than a run folder."""
    path = Path(source)
    return path.suffix == TEACHER_FILE_SUFFIX and path.is_file()


def write_teacher_file(path: Path, texts: Iterable[str], probabilities: Sequence[float],
                       teacher: dict[str, Any]) -> Path:
    """Write ``teacher``'s spam ``probabilities`` on ``texts`` (raw, before calibration) as a teacher file, keys
    sorted so that the same judgement gives the same bytes (a small diff in version control)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1 - 1e-12)
    logits = np.round(np.log(p / (1 - p)), 3)
    table = {text_key(t): float(v) for t, v in zip(texts, logits, strict=True)}
    body = {"format": TEACHER_FILE_FORMAT, "teacher": teacher, "key": "sha256(text, utf-8)[:16]",
            "value": "spam log-odds, raw (before calibration), rounded to 0.001",
            "log_odds": dict(sorted(table.items()))}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@cache
def _read(path: str, stamp: int) -> tuple[dict[str, Any], dict[str, float]]:
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RunError(f"{path}: not a readable teacher file ({err}); remake it: {REMAKE}") from None
    if not isinstance(body, dict) or body.get("format") != TEACHER_FILE_FORMAT or "log_odds" not in body:
        raise RunError(f"{path}: not a teacher file of format {TEACHER_FILE_FORMAT}; remake it: {REMAKE}")
    return body.get("teacher", {}), body["log_odds"]


def read_teacher_file(path: str | Path) -> tuple[dict[str, Any], dict[str, float]]:
    """The teacher's description and its table (text key → log-odds)."""
    path = Path(path).resolve()
    return _read(str(path), path.stat().st_mtime_ns)


def teacher_file_probabilities(path: str | Path, texts: Sequence[str]) -> np.ndarray:
    """The stored teacher's raw spam probabilities on ``texts``; a clear error naming how many it does not know."""
    _, table = read_teacher_file(path)
    keys = [text_key(t) for t in texts]
    missing = [t for t, k in zip(texts, keys, strict=True) if k not in table]
    if missing:
        raise RunError(f"{path}: the teacher file does not know {len(missing)} of {len(texts)} messages (first: "
                       f"{missing[0][:60]!r}); it was made for other data; remake it: {REMAKE}")
    logits = np.array([table[k] for k in keys], dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-logits))
