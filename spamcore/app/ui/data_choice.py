"""The session's data: the built-in SMS Spam Collection or the user's upload, read once and kept per session.

The built-in file is cached for every user (it is the same for all); an upload stays in the uploader's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from spamcore.errors import DataError

BUILTIN = "SMS Spam Collection (built-in)"
UPLOAD = "Upload a CSV/TSV"

# Session keys that are not widgets (widget keys are removed when their page is left).
DATASET_KIND = "dataset_kind"
UPLOAD_FRAME = "upload_frame"
UPLOAD_NAME = "upload_name"
UPLOAD_ID = "upload_id"


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # text, label (0 ham, 1 spam)
    name: str  # shown in the sidebar and saved in run.json
    kind: str  # BUILTIN or UPLOAD


@st.cache_data(show_spinner="Reading the SMS Spam Collection…", max_entries=4)
def _read_builtin(path: str, mtime: float) -> pd.DataFrame:
    from spamcore.data.messages import read_messages

    return read_messages(path)


def builtin_path() -> Path:
    """The built-in data file; raises DataError with the fix when there is none."""
    from spamcore.data.messages import resolve_data

    path = resolve_data(download=False)
    if not path.is_file():
        raise DataError(f"SPAMCORE_DATA points to {path}, which is not a file. {_fix()}")
    return path


def _fix() -> str:
    from spamcore.data.messages import missing_data_message

    return missing_data_message()


def builtin_dataset() -> Dataset:
    path = builtin_path()
    return Dataset(_read_builtin(str(path), path.stat().st_mtime), BUILTIN, BUILTIN)


def dataset_kind() -> str:
    return st.session_state.get(DATASET_KIND, BUILTIN)


def set_dataset_kind(kind: str) -> bool:
    """Remember the session's data choice; True when it changed (rerun so the sidebar shows it)."""
    changed = dataset_kind() != kind
    st.session_state[DATASET_KIND] = kind
    return changed


def max_upload_mb() -> int:
    """The upload limit in MB (``server.maxUploadSize`` in .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def check_upload(upload) -> bytes:
    """The uploaded file's bytes; raises DataError for a file above the upload limit (before reading it)."""
    limit = max_upload_mb()
    if upload.size > limit * 1024 * 1024:
        raise DataError(
            f"{upload.name}: {upload.size / 1024 / 1024:.0f} MB is more than the app's {limit} MB upload limit "
            "(the SMS Spam Collection is 0.5 MB). Upload a sample of the file, or use the command line: "
            "spamcore train --data FILE"
        )
    return upload.getvalue()


def upload_is_new(file_id: str) -> bool:
    return st.session_state.get(UPLOAD_ID) != file_id


def set_upload(frame: pd.DataFrame, name: str, file_id: str) -> None:
    st.session_state[UPLOAD_FRAME] = frame
    st.session_state[UPLOAD_NAME] = name
    st.session_state[UPLOAD_ID] = file_id


def current_dataset() -> Dataset:
    """The dataset this session works with; raises DataError (with what to do) when there is none."""
    if dataset_kind() == UPLOAD:
        frame = st.session_state.get(UPLOAD_FRAME)
        if frame is None:
            raise DataError("No file uploaded yet: upload a CSV/TSV with 'label' and 'text' columns on the Data page")
        return Dataset(frame, f"upload: {st.session_state[UPLOAD_NAME]}", UPLOAD)
    return builtin_dataset()


def data_key(frame: pd.DataFrame) -> int:
    """A cheap content key for caching per-dataset results."""
    return int(pd.util.hash_pandas_object(frame, index=False).sum())
