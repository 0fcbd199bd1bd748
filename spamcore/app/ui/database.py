"""The server's class database (one engine, one connection pool per server process) and what a page says when it
cannot be reached. Below both the class pages (:mod:`spamcore.app.ui.classroom`) and the school's
(:mod:`spamcore.app.ui.school`)."""

from __future__ import annotations

import socket

import streamlit as st


def base_store():
    """The server's database (SQLite beside the runs folder, or ``$SPAMCORE_DB``), with the laptop's one class."""
    from spamcore.classroom.store import default_url
    from spamcore.runs.layout import default_runs_root

    return _store(default_url(default_runs_root()))


@st.cache_resource(show_spinner=False)
def _store(url: str):
    """One store (one connection pool) per database per server process."""
    from spamcore.classroom.store import open_store

    return open_store(url)


def database_away(err: Exception) -> str | None:
    """One sentence for a page when ``err`` says the server's database cannot be reached (a school's PostgreSQL
    restarting mid-lesson), else None: the page shows it instead of a traceback and works again once it is back."""
    import sqlalchemy as sa

    from spamcore.runs.queue import QueueError

    if isinstance(err, (sa.exc.OperationalError, sa.exc.InterfaceError, QueueError)) or (
            isinstance(err, sa.exc.DBAPIError) and err.connection_invalidated):
        return ("The class database cannot be reached just now (restarting?). Nothing already sent is lost: "
                "reload this page in a moment, or press Send again.")
    return None


def lan_address() -> str:
    """This machine's address on the class network (the one a route out would use; loopback when offline)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
