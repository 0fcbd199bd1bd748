"""The one entry to a saved classifier — a run of this computer, the ready model in the package, any folder spamcore
wrote — whatever asks for it (the CLI, the app, ``spamcore serve``, the class retrain, a teacher's distillation), as
a Hugging Face model owns its ``from_pretrained``: the model layer reads the folder, the recipe's head, the tokenizer
and the repair view's words itself (:mod:`spamcore.model.saved`, :mod:`spamcore.model.onnx`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spamcore.model.verdicts import Verdicts


def from_pretrained(folder: str | os.PathLike[str], engine: str = "torch", device: str = "auto",
                    notice: Callable[[str], None] = lambda line: None) -> Verdicts:
    """A saved classifier, whatever asks for it: ``engine="torch"`` (the default: training, attributions, maps) on
    ``device``; ``"auto"`` or ``"onnx"`` for verdicts (:func:`spamcore.model.onnx.load_for_verdicts`, which says
    through ``notice`` when it makes a graph or falls back to torch)."""
    if engine == "torch":
        from spamcore.model.saved import load_classifier

        return load_classifier(folder, device)
    from spamcore.model.onnx import load_for_verdicts

    return load_for_verdicts(folder, engine, notice)
