"""The run this session works with (chosen in the sidebar) and the small helpers every page shares.

The other per-concern state: the session's data (``ui.data_choice``), resources cached per process
(``ui.resources``), the session's training job (``ui.jobs``) and the sidebar (``ui.sidebar``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from spamcore.model.config import model_description

RUN_SELECT = "run_select"  # the sidebar's run selector (rendered on every page, so it persists)
ADOPTED_RUN = "adopted_run"


def model_label(model: str, extra_data: str | None = None) -> str:
    """How a model setting reads in the UI (never a path: see :func:`spamcore.model.config.model_description`)."""
    return model_description(model, extra_data)


def runs_root() -> Path:
    """The session's runs folder: the server's, or on a school's server its class's own inside it."""
    from spamcore.app.ui import school
    from spamcore.runs.layout import default_runs_root

    root = default_runs_root()
    if not school.school_mode():
        return root
    joined = school.session_class()
    return joined.runs_root(root) if joined else root / "classes" / "none"


def finished_runs() -> list:
    """Runs on disk that finished (or were stopped) and have weights and test metrics, newest first, then the ready
    model shipped in the package (spamcore.model.ready): a fresh install classifies before anyone trains."""
    from spamcore.runs.store import list_runs, ready_run

    runs = [r for r in list_runs(runs_root()) if r.usable]
    ready = ready_run()
    return [*runs, ready] if ready is not None and ready.usable else runs


def run_named(name: str):
    """The finished run (or the ready model) called ``name``; a clear error when there is none any more."""
    from spamcore.errors import RunError

    found = next((r for r in finished_runs() if r.name == name), None)
    if found is None:
        raise RunError(f"run {name!r} is not in {runs_root()} any more (deleted?)")
    return found


def selected_run():
    """The RunInfo chosen in the sidebar, or None."""
    name = st.session_state.get(RUN_SELECT)
    return next((r for r in finished_runs() if r.name == name), None) if name else None


def use_run(name: str | None) -> None:
    """Select run ``name`` for this session (students get the run their class attacks; None: the newest)."""
    if name is None:
        runs = finished_runs()
        name = runs[0].name if runs else None
    st.session_state[RUN_SELECT] = name


def show_error(err: Exception) -> None:
    """A user's error, shown as its message (never a traceback)."""
    st.error(str(err), icon=":material/error:")
