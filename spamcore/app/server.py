"""``spamcore app``: start the Streamlit app shipped in the package, from any folder.

It picks a free port (from 8501 up, unless ``--port`` names one), fixes the teacher code for this server (so it can
be printed before the first visit), starts the heavy imports in the background (:mod:`spamcore.app.warmup`, so the
first page that needs a model rarely waits) and hands over to Streamlit with the shipped settings
(:mod:`spamcore.app.settings`). Streamlit runs in this process until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sys
from pathlib import Path

from spamcore import __version__
from spamcore.errors import ConfigError

DEFAULT_PORT = 8501
APP_EXTRA = 'the app needs its extra packages: pip install "spamcore[app]" (or pipx install "spamcore[app]")'


def free_port(host: str, first: int = DEFAULT_PORT, tries: int = 50) -> int:
    """The first port from ``first`` on that ``host`` can listen on."""
    for port in range(first, first + tries):
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
            try:
                probe.bind((host if host not in ("", "0.0.0.0") else "", port))
            except OSError:
                continue
            return port
    raise ConfigError(f"no free port from {first} to {first + tries - 1}; choose one with --port")


def streamlit_argv(port: int, host: str | None) -> list[str]:
    """The ``streamlit run`` command line for the shipped app."""
    from spamcore.app.paths import SCRIPT
    from spamcore.app.settings import streamlit_flags

    argv = ["streamlit", "run", str(SCRIPT), "--server.port", str(port), "--server.headless", "true",
            *streamlit_flags()]
    if host:
        argv += ["--server.address", host]
    return argv


def _use_database(url: str) -> None:
    """Class messages in ``url``; on PostgreSQL, trainings queued there too (run by ``spamcore worker``)."""
    from spamcore.classroom.store import DB_ENV
    from spamcore.runs.queue import QUEUE_ENV

    os.environ[DB_ENV] = url
    if url.startswith(("postgresql", "postgres")):
        os.environ[QUEUE_ENV] = url


def serve(port: int | None = None, host: str | None = None, runs: str | os.PathLike[str] | None = None,
          school: bool = False, database: str | None = None) -> int:
    """Start the app (blocks until the server stops); returns the exit status. ``school``: many classes on this
    server (an admin code makes them); ``database``: the PostgreSQL that holds the classes' messages and queues
    their trainings (docs/school.md)."""
    try:
        from streamlit.web import cli as streamlit_cli
    except ImportError:
        raise ConfigError(APP_EXTRA) from None
    from spamcore.app import warmup
    from spamcore.app.ui.roles import CODE_ENV
    from spamcore.runs.layout import default_runs_root

    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"--port must be from 1 to 65535; got {port}")
    if runs is not None:
        os.environ["SPAMCORE_RUNS"] = str(Path(runs).expanduser().resolve())
    if database:
        _use_database(database)
    port = port or free_port(host or "")
    if school:
        from spamcore.classroom.classes import ADMIN_CODE_ENV, SCHOOL_ENV

        os.environ[SCHOOL_ENV] = "1"
        code = os.environ.get(ADMIN_CODE_ENV, "").strip() or secrets.token_hex(4)
        os.environ[ADMIN_CODE_ENV] = code
        print(f"\n  spamcore {__version__} for a school: http://localhost:{port}\n"
              f"  runs folder: {default_runs_root().resolve()}\n"
              f"  admin code: {code}   (type it in the sidebar to make classes; each class gets its own codes)\n",
              file=sys.stderr, flush=True)
    else:
        code = os.environ.get(CODE_ENV, "").strip() or secrets.token_hex(3)
        os.environ[CODE_ENV] = code  # the server's pages read the same code
        print(f"\n  spamcore {__version__}: open http://localhost:{port} on this machine (you are the teacher there)\n"
              f"  runs folder: {default_runs_root().resolve()}\n"
              f"  teacher code: {code}   (type it in the sidebar of another device to act as the teacher there)\n",
              file=sys.stderr, flush=True)
    warmup.start()
    sys.argv = streamlit_argv(port, host)
    try:
        streamlit_cli.main()
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0
