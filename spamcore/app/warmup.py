"""The heavy imports — torch, transformers and the model code — done once per server process, behind one lock.

Streamlit runs each session's script in its own thread. Two pages opened at once on a fresh server both import
transformers, whose lazy module loads ``AutoTokenizer`` and friends on first access: one thread could see the
other's half-imported module and fail with ``ImportError: cannot import name 'AutoTokenizer'``. Python's import
lock does not cover that lazy step, so this module does every heavy import, lazy names included, in one place under
one lock: :func:`start` begins it in a background thread when the first session opens (the first page does not wait
for it), and :func:`wait` blocks a page that needs a model until it is done — never a half-imported module.
"""

from __future__ import annotations

import importlib
import threading

#: Modules imported in the background; importing them resolves the ``from transformers import X`` they make.
MODULES = (
    "torch",
    "transformers",
    "sklearn.linear_model",
    "sklearn.feature_extraction.text",
    "plotly.graph_objects",
    "plotly.express",
    "spamcore.model.loading",
    "spamcore.model.classifier",
    "spamcore.runs.experiment",
    "spamcore.model.recipes.frozen",
    "spamcore.model.recipes.finetune",
    "spamcore.runs.store",
    "spamcore.evaluation.baseline",
    "spamcore.evaluation.figures",
    "spamcore.evaluation.metrics",
    "spamcore.evaluation.robustness",
    "spamcore.evaluation.calibration",
    "spamcore.teaching.explain",
    "spamcore.teaching.embedding",
    "spamcore.teaching.masked",
    "spamcore.teaching.pretraining",
)
#: transformers' lazily loaded names the library reaches for inside functions.
LAZY_NAMES = ("AutoConfig", "AutoTokenizer", "AutoModel", "AutoModelForSequenceClassification",
              "AutoModelForMaskedLM", "AutoModelForPreTraining", "get_scheduler", "pipeline")

_lock = threading.Lock()
_done = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def _import_everything() -> None:
    with _lock:
        if _done.is_set():
            return
        for name in MODULES:
            importlib.import_module(name)
        transformers = importlib.import_module("transformers")
        for name in LAZY_NAMES:
            getattr(transformers, name)
        transformers.utils.logging.set_verbosity_error()  # the server's log stays quiet, as the CLI's does
        transformers.utils.logging.disable_progress_bar()
        _done.set()
    # After the pages may go on: the trick table's word list, indexed once per process (under a second, but inside
    # the Class board's first redraw with messages it showed as a 6 % spike in tests/test_browser_board_cost.py).
    from spamcore.classroom.lesson import warm_up

    warm_up()
    _prepare_ready_graph()


def _prepare_ready_graph() -> None:
    """The ready model's ONNX graph, exported once per install (kept in the cache folder), so that the first student's
    verdict does not wait for it; a failure here is the verdict's to report (it falls back to torch)."""
    import contextlib

    from spamcore.errors import SpamcoreError
    from spamcore.model.onnx import graph_ready, load_onnx
    from spamcore.model.ready import READY_MODEL, shipped_folder

    if (shipped_folder() / "run.json").is_file() and not graph_ready(READY_MODEL):
        with contextlib.suppress(SpamcoreError, OSError, ValueError):
            load_onnx(READY_MODEL)


def start() -> None:
    """Begin the heavy imports in a background thread (once per process; later calls do nothing)."""
    global _thread
    with _started:
        if _thread is None and not _done.is_set():
            _thread = threading.Thread(target=_import_everything, name="spamcore-warmup", daemon=True)
            _thread.start()


def ready() -> bool:
    """Whether the heavy imports are done."""
    return _done.is_set()


def wait() -> None:
    """Block until the heavy imports are done (doing them here if no thread has started them)."""
    if not _done.is_set():
        _import_everything()  # waits on the lock while the background thread imports
