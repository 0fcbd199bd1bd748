"""Resources cached once per server process and shared by every session: tokenizers, the classifiers of runs on
disk (read-only once written), their explanations, suite scores and maps, and the masked-word and next-sentence
models of How BERT learns. Keys include the run's folder and the time its files were written, so a run written
again is loaded again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from spamcore.model.config import BUNDLED_MODEL


@st.cache_resource(show_spinner="Loading the tokenizer…")
def base_tokenizer(model: str = BUNDLED_MODEL):
    """The base model's tokenizer, loaded once per server process (read-only)."""
    from spamcore.model.loading import load_tokenizer

    return load_tokenizer(model)


@st.cache_data(show_spinner="Counting WordPiece tokens…", max_entries=8)
def token_lengths(model: str, key: int, _texts: tuple[str, ...]) -> list[int]:
    from spamcore.data.messages import token_counts

    return token_counts(base_tokenizer(model), list(_texts)).tolist()


@st.cache_resource(show_spinner="Loading the run's classifier…", max_entries=4)
def _load_classifier(path: str, stamp: float):
    from spamcore.model.saved import load_classifier

    return load_classifier(path)


def run_classifier(run):
    """The run's classifier, loaded once per process (keyed by its folder and the time its files were written)."""
    return _load_classifier(str(run.path), _run_stamp(run))


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load_verdicts(path: str, stamp: float):
    from spamcore.model.onnx import graph_ready, load_for_verdicts

    if not graph_ready(path):  # the graph is exported by torch, once: after the background imports, never beside them
        from spamcore.app import warmup

        warmup.wait()
    notes: list[str] = []
    classifier = load_for_verdicts(path, notice=notes.append)
    return classifier, tuple(notes)


def verdict_classifier(run):
    """What gives the run's verdicts on Classify, Challenge and the board: ONNX Runtime (no torch import, the graph
    made once per set of weights), else torch (spamcore.model.onnx); loaded once per process."""
    return _load_verdicts(str(run.path), _run_stamp(run))[0]


def verdict_notes(run) -> tuple[str, ...]:
    """What loading :func:`verdict_classifier` had to say (the graph being made, or why torch answers)."""
    return _load_verdicts(str(run.path), _run_stamp(run))[1]


def _run_stamp(run) -> float:
    return max((p.stat().st_mtime for p in Path(run.path).iterdir() if p.is_file()), default=0.0)


@st.cache_data(show_spinner="Working out which words mattered…", max_entries=64)
def _explain(path: str, stamp: float, text: str, method: str):
    from spamcore.teaching.explain import explain

    return explain(_load_classifier(path, stamp), text, method)


def explanation(run, text: str, method: str):
    """Word attributions of ``text`` by the run's classifier (cached per run, message and method)."""
    return _explain(str(run.path), _run_stamp(run), text, method)


@st.cache_data(show_spinner="Scoring the run on the suite…", max_entries=32)
def _suite_scores(path: str, stamp: float, suite: str) -> dict:
    from spamcore.evaluation.robustness import load_intent_suite, suite_report
    from spamcore.evaluation.suites.evasion import evasion_report

    clf = _load_verdicts(path, stamp)[0]
    # By the verdict a user sees: "not sure" counts as neither caught nor passed, as a new run saves it.
    if suite == "intent":
        return suite_report(clf.predict_proba, clf.threshold, suite=load_intent_suite(), band=clf.unsure_band)
    return {"robustness": suite_report, "evasion": evasion_report}[suite](clf.predict_proba, clf.threshold,
                                                                            band=clf.unsure_band)


def _saved_or_scored(run, suite: str) -> dict:
    """A suite's report as saved with the run (its metrics' ``suite`` key), or scored now for older runs."""
    return run.metrics.get(suite) or _suite_scores(str(run.path), _run_stamp(run), suite)


def suite_report(run) -> dict:
    """The run's robustness-suite report."""
    return _saved_or_scored(run, "robustness")


def intent_report(run) -> dict:
    """The run's intent-suite report: messages about scams, family new numbers, link-less scams (issue 38)."""
    return _saved_or_scored(run, "intent")


def evasion_report(run) -> dict:
    """The run's evasion-suite report (the suite's spam rewritten with the tricks used against filters)."""
    return _saved_or_scored(run, "evasion")


def suite_misses(report: dict) -> pd.DataFrame:
    from spamcore.evaluation.robustness import misses

    return misses(report)


def shortcut_probes(run, text: str) -> list:
    from spamcore.evaluation.robustness import shortcut_probes as probes

    return probes(verdict_classifier(run).predict_proba, text)


@st.cache_resource(show_spinner="Loading the pre-trained encoder…", max_entries=2)
def pretrained_encoder(model: str):
    """The base model's encoder as pre-trained (read-only), for the before-training map."""
    from spamcore.model.loading import load_encoder

    return load_encoder(model)


@st.cache_data(show_spinner="Placing the test messages on the maps (once per run)…", max_entries=8)
def _embedding_map(path: str, stamp: float):
    from spamcore.data.messages import cache_dir
    from spamcore.runs.scores import test_scores
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


def place_sentence(run, text: str):
    """Where ``text`` lands on the run's two maps."""
    return _placed(str(run.path), _run_stamp(run), text)


def mlm_cache() -> Path:
    from spamcore.data.messages import cache_dir

    return cache_dir() / "mlm"


@st.cache_resource(show_spinner="Loading the masked-word head…", max_entries=4)
def _mlm(model: str, head_stamp: float):
    from spamcore.teaching.masked import head_file, load_head, load_mlm

    mlm, own = load_mlm(model)
    score = None if own else load_head(mlm, head_file(model, mlm_cache()))
    return mlm, own, score


def masked_word_model(model: str = BUNDLED_MODEL):
    """``(model with MLM head, head is the checkpoint's own, score of a head trained here or None)``; a model
    with neither has an untrained head, which must not be shown as guesses."""
    from spamcore.teaching.masked import head_file

    path = head_file(model, mlm_cache())
    return _mlm(model, path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_resource(show_spinner="Loading the next-sentence head…", max_entries=4)
def next_sentence_model(model: str = BUNDLED_MODEL):
    """The model with its own next-sentence head, or None when its checkpoint has none."""
    from spamcore.teaching.masked import load_nsp

    return load_nsp(model)
