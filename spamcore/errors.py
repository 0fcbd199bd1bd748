"""Error types a user can cause.

Every error that is the user's to fix (a bad file, a bad setting, a model that cannot be found, a broken
run directory) derives from :class:`SpamcoreError`, a ``ValueError``. Front ends catch this one class and
show its message as is: the message names the thing, where it is wrong and what to do.
"""

from __future__ import annotations


class SpamcoreError(ValueError):
    """Base class for errors caused by input the user can correct."""


class DataError(SpamcoreError):
    """A data file cannot be read as labelled messages."""


class ConfigError(SpamcoreError):
    """A training or prediction setting is out of range."""


class ModelLoadError(SpamcoreError):
    """A model or tokenizer cannot be loaded."""


class RunError(SpamcoreError):
    """A run directory is missing, incomplete or corrupted."""
