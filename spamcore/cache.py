"""The per-user cache folder (models unpacked, features, teachers' probabilities, exported graphs) and the
measurements of this computer kept in it: one JSON file per kind, one entry per host (its CPU, device, torch version
and threads: another laptop, or a changed setting, measures again). The precision probe
(:mod:`spamcore.model.precision`) and the training-time estimate (:mod:`spamcore.runs.estimate`) keep their figures
here, so a measurement that costs seconds is made once per computer, not once per process.

At the package's top, beside the errors, because every layer uses it; it imports nothing of spamcore's, nor torch
until a host is named.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """Per-user cache folder (``$SPAMCORE_CACHE``, else ``$XDG_CACHE_HOME/spamcore``, else ``~/.cache``)."""
    if os.environ.get("SPAMCORE_CACHE"):
        return Path(os.environ["SPAMCORE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spamcore"


def host_key(device) -> str:
    """This computer as a cache key. Example: ``"AMD EPYC | cpu | torch 2.13.0+cpu | 2 threads"``."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu} | {device.type} | torch {torch.__version__} | {torch.get_num_threads()} threads"


def cache_path(name: str, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / name


def read_entry(path: Path, key: str) -> dict[str, Any] | None:
    """The entry ``key`` of the JSON file at ``path``; None when the file, or the entry, is missing or damaged."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))[key]
        return entry if isinstance(entry, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_entry(path: Path, key: str, value: dict[str, Any]) -> None:
    """Set entry ``key`` of the JSON file at ``path`` (written whole, then renamed: a reader never sees half). A
    read-only cache is no error: the value still holds for this process."""
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
