"""The Streamlit options the app runs with, in one place: ``spamcore app`` passes them as flags, and the checkout's
``.streamlit/config.toml`` (read by ``streamlit run app.py``) holds the same values (a test keeps the two equal).

Why each one:

- ``server.fileWatcherType = "none"``: the app is used, not edited, in class. Streamlit's watcher walks the project
  folder (a virtual environment's thousands of folders included), overflows the inotify queue and re-walks for ever,
  a core at 75-100 % and every verdict four times slower.
- ``runner.postScriptGC = false``: Streamlit runs a full garbage collection after every script run; with torch and
  transformers loaded that walks millions of objects: measured 78 % of the server's CPU per typed verdict.
- ``server.maxUploadSize = 20`` (MB): the SMS collection is 0.5 MB and every session keeps its upload in memory
  (``ui.state.check_upload`` says so clearly above it); the CLI reads files up to 200 MB.
- ``logger.hideWelcomeMessage = true``: nothing leaves the laptop. Streamlit's welcome lines look the machine's
  address up on a public service (checkip.amazonaws.com) when it runs headless on every address; with no route out
  the terminal then said "Did not auto detect external IP". ``spamcore app`` prints its own lines instead: the URL,
  the runs folder and the teacher code (tests/test_app_offline.py runs it with no network at all); and
  ``logger.level = "warning"`` keeps Streamlit's start-up notes ("Uvicorn server started on :::8501") out of it too.
- ``theme.baseFontSize = 17``: readable on a classroom projector; ``client.toolbarMode = "minimal"``; no usage
  statistics.
"""

from __future__ import annotations

#: Option name (``section.option``) → value, as in ``.streamlit/config.toml``.
STREAMLIT_OPTIONS: dict[str, object] = {
    "theme.baseFontSize": 17,
    "client.toolbarMode": "minimal",
    "browser.gatherUsageStats": False,
    "server.maxUploadSize": 20,
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "runner.postScriptGC": False,
    "logger.hideWelcomeMessage": True,
    "logger.level": "warning",
}


def streamlit_flags(options: dict[str, object] | None = None) -> list[str]:
    """``streamlit run`` flags for ``options`` (default: :data:`STREAMLIT_OPTIONS`).

    Example: ``streamlit_flags({"server.runOnSave": False}) == ["--server.runOnSave", "false"]``.
    """
    flags: list[str] = []
    for name, value in (STREAMLIT_OPTIONS if options is None else options).items():
        flags += [f"--{name}", str(value).lower() if isinstance(value, bool) else str(value)]
    return flags
