"""``spamcore serve RUN``: check the settings, then run the verdict API under uvicorn until Ctrl-C.

Safe by default: it listens on loopback; on any other address it refuses to start without a token (Bearer), since a
model on a network is reachable by everyone on it. Keep-alive connections idle for 5 s are closed; a request body
has ``body_timeout_s`` to arrive.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

from spamcore.errors import ConfigError
from spamcore.serving.settings import SERVE_EXTRA, TOKEN_ENV, ServeSettings

DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check(host: str, port: int, token: str | None) -> None:
    """Refuse what would be unsafe or cannot work, with the reason (a :class:`ConfigError`)."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port must be from 1 to 65535; got {port}")
    if token is not None and len(token) < 16:
        raise ConfigError("the token must have at least 16 characters (python -c \"import secrets; "
                          "print(secrets.token_urlsafe())\" makes one)")
    if not is_loopback(host) and not token:
        raise ConfigError(f"--host {host} lets other machines in: give a token (--token, or ${TOKEN_ENV}) so that only "
                          "programs that know it get verdicts")


def serve(run: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT, token: str | None = None,
          settings: ServeSettings | None = None) -> int:
    """Serve ``run`` (a run folder) until interrupted; the exit status."""
    try:
        import uvicorn

        from spamcore.serving.api import create_app, run_model
    except ImportError:
        raise ConfigError(SERVE_EXTRA) from None
    from spamcore.runs.store import read_run

    token = token or os.environ.get(TOKEN_ENV) or None
    check(host, port, token)
    info = read_run(run)  # a bad path or an unfinished run is refused before the server starts
    if not info.usable:
        raise ConfigError(f"run {info.name!r} is {info.status} and cannot classify yet (no weights or test metrics)")
    app = create_app(*run_model(Path(run)), token=token, settings=settings or ServeSettings())
    shown = f"[{host}]" if ":" in host else host
    print(f"spamcore serve: run {info.name} at http://{shown}:{port}/v1/classify (API docs: /docs)"
          + ("; a Bearer token is required" if token else ""), file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, timeout_keep_alive=5, log_level="warning", access_log=False)
    return 0
