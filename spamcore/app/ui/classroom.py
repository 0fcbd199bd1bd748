"""Class mode's shared pieces: the class database (one engine per server process), this browser session's id, the
current round, and the address students open (with its QR code)."""

from __future__ import annotations

import io
import threading
import uuid

import streamlit as st

from spamcore.app.ui import database, resources, state

SESSION_ID = "class_session_id"


def store():
    """The class store of this session's class: the server's one class (SQLite beside the runs folder, or
    ``$SPAMCORE_DB``), or on a school's server the class this session belongs to (:mod:`spamcore.app.ui.school`)."""
    from spamcore.app.ui import school
    from spamcore.classroom.store import ClassStore

    base = database.base_store()
    if not school.school_mode():
        return base
    joined = school.session_class()
    return ClassStore(base.engine, joined.id if joined else -1)  # no class yet: a class with no rounds


def session_id() -> str:
    """A random id for this browser session: rate limits and the leaderboard count per session, not per name."""
    if SESSION_ID not in st.session_state:
        st.session_state[SESSION_ID] = uuid.uuid4().hex
    return st.session_state[SESSION_ID]


def current_round():
    return store().current_round()


def round_run(round_):
    """The RunInfo a round attacks (a clear error when it was deleted); the ready model by its name."""
    from spamcore.model.ready import READY_MODEL, READY_NAME
    from spamcore.runs.layout import run_path
    from spamcore.runs.store import read_run

    if round_.run_name == READY_NAME:
        return read_run(READY_MODEL)
    return read_run(run_path(state.runs_root(), round_.run_name))


def student_url() -> str:
    """The address students open: the app's root, where a student's device lands on Challenge; on a school's
    server, the proxy's address with this session's class code."""
    from spamcore.app.ui import school

    joined = school.session_class() if school.school_mode() else None
    if joined is not None:
        return school.student_url(joined)
    port = st.get_option("server.port")
    return f"http://{database.lan_address()}:{port}/"


def qr_png(text: str) -> bytes:
    import qrcode

    image = qrcode.make(text, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


#: Before → after comparisons being computed in this server process (one thread per key at most), and those that
#: failed (with why: shown, not tried again on every redraw).
_COMPARING: set[str] = set()
_FAILED: dict[str, str] = {}
_COMPARING_LOCK = threading.Lock()


def start_comparison(before_info, after_info, held_out, test, key: str) -> bool:
    """Score both models once, in a background thread, and store the table beside the retrained run, so that no
    board redraw scores anything (it reads the stored table). False when that comparison is already under way."""
    from spamcore.classroom.rounds import before_after, write_comparison

    with _COMPARING_LOCK:
        if key in _COMPARING or key in _FAILED:
            return False
        _COMPARING.add(key)
    before, after = resources.verdict_classifier(before_info), resources.verdict_classifier(after_info)

    def compare() -> None:
        try:
            write_comparison(after_info.path, key, before_after(held_out, test, before, after))
        except Exception as err:  # a thread's error reaches no page: keep it for the board to show
            with _COMPARING_LOCK:
                _FAILED[key] = f"{type(err).__name__}: {err}"
        finally:
            with _COMPARING_LOCK:
                _COMPARING.discard(key)

    threading.Thread(target=compare, name=f"spamcore-compare-{after_info.name}", daemon=True).start()
    return True


def comparison_error(key: str) -> str | None:
    """Why the comparison ``key`` failed in this server process, or None."""
    with _COMPARING_LOCK:
        return _FAILED.get(key)
