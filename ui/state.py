"""State shared by the pages: the current dataset, the selected run, the session's job, cached resources.

Caches hold only what is the same for every user: the base tokenizer, the built-in data file, and the
classifiers of runs on disk (read-only once written). What one user uploads or trains stays in their session
(``st.session_state``) or in the job manager, keyed by run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from spamcore.config import BUNDLED_MODEL
from spamcore.errors import DataError

BUILTIN = "SMS Spam Collection (built-in)"
UPLOAD = "Upload a CSV/TSV"
FINISHED_STATUSES = ("complete", "stopped")

# Session keys that are not widgets (widget keys are removed when their page is left).
DATASET_KIND = "dataset_kind"
UPLOAD_FRAME = "upload_frame"
UPLOAD_NAME = "upload_name"
UPLOAD_ID = "upload_id"
JOB_RUN = "job_run"
RECENT_JOB_SECONDS = 3600  # a job this recent is shown on Train to a new session even when it has ended
ADOPTED_RUN = "adopted_run"
RUN_SELECT = "run_select"  # the sidebar's run selector (rendered on every page, so it persists)


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame  # text, label (0 ham, 1 spam)
    name: str  # shown in the sidebar and saved in run.json
    kind: str  # BUILTIN or UPLOAD


def model_label(model: str) -> str:
    """How a model setting reads in the UI."""
    return "bundled MiniLM-L6 BERT (offline)" if model == BUNDLED_MODEL else model


# ------------------------------------------------------------------------------------------------ data


@st.cache_data(show_spinner="Reading the SMS Spam Collection…", max_entries=4)
def _read_builtin(path: str, mtime: float) -> pd.DataFrame:
    from spamcore.data import read_messages

    return read_messages(path)


def builtin_path() -> Path:
    """The built-in data file; raises DataError with the fix when there is none."""
    from spamcore.data import resolve_data

    path = resolve_data(download=False)
    if not path.is_file():
        raise DataError(f"SPAMCORE_DATA points to {path}, which is not a file. {_fix()}")
    return path


def _fix() -> str:
    from spamcore.data import missing_data_message

    return missing_data_message()


def builtin_dataset() -> Dataset:
    path = builtin_path()
    return Dataset(_read_builtin(str(path), path.stat().st_mtime), BUILTIN, BUILTIN)


def dataset_kind() -> str:
    return st.session_state.get(DATASET_KIND, BUILTIN)


def set_dataset_kind(kind: str) -> bool:
    """Remember the session's data choice; True when it changed (rerun so the sidebar shows it)."""
    changed = dataset_kind() != kind
    st.session_state[DATASET_KIND] = kind
    return changed


def max_upload_mb() -> int:
    """The upload limit in MB (``server.maxUploadSize`` in .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def check_upload(upload) -> bytes:
    """The uploaded file's bytes; raises DataError for a file above the upload limit (before reading it)."""
    limit = max_upload_mb()
    if upload.size > limit * 1024 * 1024:
        raise DataError(
            f"{upload.name}: {upload.size / 1024 / 1024:.0f} MB is more than the app's {limit} MB upload limit "
            "(the SMS Spam Collection is 0.5 MB). Upload a sample of the file, or use the command line: "
            "spamcore train --data FILE"
        )
    return upload.getvalue()


def upload_is_new(file_id: str) -> bool:
    return st.session_state.get(UPLOAD_ID) != file_id


def set_upload(frame: pd.DataFrame, name: str, file_id: str) -> None:
    st.session_state[UPLOAD_FRAME] = frame
    st.session_state[UPLOAD_NAME] = name
    st.session_state[UPLOAD_ID] = file_id


def current_dataset() -> Dataset:
    """The dataset this session works with; raises DataError (with what to do) when there is none."""
    if dataset_kind() == UPLOAD:
        frame = st.session_state.get(UPLOAD_FRAME)
        if frame is None:
            raise DataError("No file uploaded yet: upload a CSV/TSV with 'label' and 'text' columns on the Data page")
        return Dataset(frame, f"upload: {st.session_state[UPLOAD_NAME]}", UPLOAD)
    return builtin_dataset()


def data_key(frame: pd.DataFrame) -> int:
    """A cheap content key for caching per-dataset results."""
    return int(pd.util.hash_pandas_object(frame, index=False).sum())


@st.cache_resource(show_spinner="Loading the tokenizer…")
def base_tokenizer(model: str = BUNDLED_MODEL):
    """The base model's tokenizer, loaded once per server process (read-only)."""
    from spamcore.model import load_tokenizer

    return load_tokenizer(model)


@st.cache_data(show_spinner="Counting WordPiece tokens…", max_entries=8)
def token_lengths(model: str, key: int, _texts: tuple[str, ...]) -> list[int]:
    from spamcore.data import token_counts

    return token_counts(base_tokenizer(model), list(_texts)).tolist()


# ------------------------------------------------------------------------------------------------ runs


def runs_root() -> Path:
    from spamcore.runs import default_runs_root

    return default_runs_root()


def finished_runs() -> list:
    """Runs on disk that finished (complete or stopped) and have weights and test metrics, newest first."""
    from spamcore.runs import list_runs

    return [r for r in list_runs(runs_root()) if r.status in FINISHED_STATUSES and r.metrics and r.has_weights]


def selected_run():
    """The RunInfo chosen in the sidebar, or None."""
    name = st.session_state.get(RUN_SELECT)
    return next((r for r in finished_runs() if r.name == name), None) if name else None


@st.cache_resource(show_spinner="Loading the run's classifier…", max_entries=4)
def _load_classifier(path: str, stamp: float):
    from spamcore.runs import load_classifier

    return load_classifier(path)


def run_classifier(run):
    """The run's classifier, loaded once per process (keyed by its folder and the time its files were written)."""
    return _load_classifier(str(run.path), _run_stamp(run))


def _run_stamp(run) -> float:
    return max((p.stat().st_mtime for p in Path(run.path).iterdir() if p.is_file()), default=0.0)


@st.cache_data(show_spinner="Working out which words mattered…", max_entries=64)
def _explain(path: str, stamp: float, text: str, method: str):
    from spamcore.teaching.explain import explain

    return explain(_load_classifier(path, stamp), text, method)


def explanation(run, text: str, method: str):
    """Word attributions of ``text`` by the run's classifier (cached per run, message and method)."""
    return _explain(str(run.path), _run_stamp(run), text, method)


@st.cache_data(show_spinner="Scoring the robustness suite…", max_entries=16)
def _suite_report(path: str, stamp: float) -> dict:
    from spamcore.evaluation.robustness import suite_report

    return suite_report(_load_classifier(path, stamp).predict_proba)


def suite_report(run) -> dict:
    """The run's robustness-suite report: saved with the run, or scored now for runs saved before the suite."""
    saved = run.metrics.get("robustness")
    return saved if saved else _suite_report(str(run.path), _run_stamp(run))


def suite_misses(report: dict) -> pd.DataFrame:
    from spamcore.evaluation.robustness import misses

    return misses(report)


def shortcut_probes(run, text: str) -> list:
    from spamcore.evaluation.robustness import shortcut_probes as probes

    return probes(run_classifier(run).predict_proba, text)


@st.cache_resource(show_spinner="Loading the pre-trained encoder…", max_entries=2)
def pretrained_encoder(model: str):
    """The base model's encoder as pre-trained (read-only), for the before-training map."""
    from spamcore.model import load_encoder

    return load_encoder(model)


@st.cache_data(show_spinner="Placing the test messages on the maps (once per run)…", max_entries=8)
def _embedding_map(path: str, stamp: float):
    from spamcore.data import cache_dir
    from spamcore.evaluation.scores import test_scores
    from spamcore.teaching.embedding import cached_map

    classifier = _load_classifier(path, stamp)
    texts = list(test_scores(path)["text"])
    return cached_map(path, classifier, lambda: pretrained_encoder(classifier.config.model), texts,
                      cache_dir() / "maps")


def embedding_map(run):
    """The run's before/after map of its test messages (computed once per run, kept on disk)."""
    return _embedding_map(str(run.path), _run_stamp(run))


@st.cache_data(show_spinner=False, max_entries=64)
def _placed(path: str, stamp: float, text: str):
    from spamcore.teaching.embedding import place

    classifier = _load_classifier(path, stamp)
    return place(classifier, pretrained_encoder(classifier.config.model), _embedding_map(path, stamp), text)


def placed(run, text: str):
    """Where ``text`` lands on the run's two maps."""
    return _placed(str(run.path), _run_stamp(run), text)


def mlm_cache() -> Path:
    from spamcore.data import cache_dir

    return cache_dir() / "mlm"


@st.cache_resource(show_spinner="Loading the masked-word head…", max_entries=4)
def _mlm(model: str, head_stamp: float):
    from spamcore.teaching.masked import head_file, load_head, load_mlm

    mlm, own = load_mlm(model)
    score = None if own else load_head(mlm, head_file(model, mlm_cache()))
    return mlm, own, score


def mlm(model: str = BUNDLED_MODEL):
    """``(model with MLM head, head is the checkpoint's own, score of a head trained here or None)``; a model
    with neither has an untrained head, which must not be shown as guesses."""
    from spamcore.teaching.masked import head_file

    path = head_file(model, mlm_cache())
    return _mlm(model, path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_resource(show_spinner="Loading the next-sentence head…", max_entries=4)
def nsp(model: str = BUNDLED_MODEL):
    """The model with its own next-sentence head, or None when its checkpoint has none."""
    from spamcore.teaching.masked import load_nsp

    return load_nsp(model)


# ------------------------------------------------------------------------------------------------ jobs


def manager():
    from spamcore.jobs import get_manager

    return get_manager(runs_root())


def current_job():
    """The job to show: this session's, else one running for anyone on this runs folder, else the newest one if it
    started within the last hour (so a reload, a restarted server or a second server finds it)."""
    jobs = manager()
    job = jobs.get(st.session_state.get(JOB_RUN))
    if job is not None:
        return job
    every = jobs.jobs()
    active = [j for j in every if j.active]
    recent = [j for j in every if time.time() - j.started < RECENT_JOB_SECONDS]
    found = active[0] if active else (recent[-1] if recent else None)
    if found is not None:
        st.session_state[JOB_RUN] = found.run_name
    return found


def adopt_finished_job() -> None:
    """Select the session's job's run in the sidebar once it has finished (call before the sidebar)."""
    job = manager().get(st.session_state.get(JOB_RUN))
    if job is None or st.session_state.get(ADOPTED_RUN) == job.run_name:
        return
    snap = job.snapshot()
    if snap.active:
        return
    st.session_state[ADOPTED_RUN] = job.run_name
    if snap.status in ("finished", "stopped"):
        st.session_state[RUN_SELECT] = job.run_name


def start_job(config, dataset: Dataset, run_name: str | None = None):
    """Start ``spamcore train`` on ``dataset`` as a process and remember it for this session."""
    path = builtin_path() if dataset_kind() == BUILTIN else None
    job = manager().start(config, dataset.frame, dataset.name, run_name=run_name or None, data_path=path)
    st.session_state[JOB_RUN] = job.run_name
    return job


# --------------------------------------------------------------------------------------------- sidebar


def sidebar() -> None:
    """Dataset, model and run selector; shown on every page."""
    with st.sidebar:
        kind = dataset_kind()
        if kind == UPLOAD:
            name = st.session_state.get(UPLOAD_NAME)
            st.markdown("**Dataset**")
            st.text(f"upload: {name}" if name else "upload (no file yet)")
        else:
            try:
                path = builtin_path()
                st.markdown("**Dataset**")
                st.text(f"SMS Spam Collection\n{path.name}")
            except DataError:
                st.markdown("**Dataset**")
                st.text("SMS Spam Collection: not found\n(see Home for the fix)")

        runs = finished_runs()
        names = [r.name for r in runs]
        if st.session_state.get(RUN_SELECT) not in names:
            st.session_state[RUN_SELECT] = names[0] if names else None
        by_name = {r.name: r for r in runs}
        st.selectbox(
            "Run", names, key=RUN_SELECT, placeholder="no finished run yet",
            format_func=lambda n: f"{n} · {by_name[n].config.recipe} · acc {by_name[n].metrics['accuracy']:.3f}",
            help=f"Finished runs in {runs_root()}. Evaluate and Classify use the selected run.",
        )
        run = by_name.get(st.session_state.get(RUN_SELECT))
        st.markdown("**Model**")
        st.text(model_label(run.config.model) if run else model_label(BUNDLED_MODEL) + "\n(no run selected)")
        job = current_job()
        if job is not None and job.active:
            # No number here: a value drawn at page load would go stale while the job moves on, and polling on
            # every page of every session costs the server more than it tells (the live panel is on Train).
            st.caption("Training now")
            st.text(f"{job.run_name}\n(progress on Train)")


def show_error(err: Exception) -> None:
    """A user's error, shown as its message (never a traceback)."""
    st.error(str(err), icon=":material/error:")

