"""The per-user cache folder: models unpacked, features, teachers' probabilities, measurements of this computer.

Apart from :mod:`spamcore.data` (which re-exports it) so that code on a verdict's path finds the folder without
importing pandas.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Per-user cache folder (``$SPAMCORE_CACHE``, else ``$XDG_CACHE_HOME/spamcore``, else ``~/.cache``)."""
    if os.environ.get("SPAMCORE_CACHE"):
        return Path(os.environ["SPAMCORE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spamcore"
