"""A class round: judge a student's message, retrain on the accepted ones, and compare before with after honestly.

The retrained model continues from the attacked run's weights (a ``finetune`` run folder is a Hugging Face model
folder), learns from the accepted class messages (minus the held-out third, see
:func:`~spamcore.classroom.store.split_for_training`) and replays a stratified sample of the original data with
the bundled supplement, so it does not forget; it replays the original training split only. Before and after are
scored on the same messages: the held-out class messages (never trained on), the original test split (unseen by
both models) and the robustness suite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamcore.config import BUNDLED_MODERN, TrainConfig, recipe_defaults
from spamcore.corpora import CLASS_PREFIX

#: Original messages replayed when retraining (stratified sample): about a minute of training on 2 CPU cores.
REPLAY_ROWS = 1500


@dataclass(frozen=True)
class Attempt:
    verdict: str  # the model's: "spam", "ham" or "unsure"
    spam_probability: float
    fooled: bool  # the model said the opposite of the truth ("not sure" fools nobody)


def judge(classifier, text: str, claimed: str) -> Attempt:
    """The verdict only (no explanation: a verdict never waits for its "why")."""
    prediction = classifier.predict([text])[0]
    verdict = prediction.verdict
    return Attempt(verdict, prediction.spam_probability, verdict != "unsure" and verdict != claimed)


def retrain_config(run, round_id: int) -> TrainConfig:
    """A finetune that continues from ``run`` (a finetune run) or starts from its base model (a frozen run), with
    round ``round_id``'s accepted messages and the supplement added, on a replayed sample of the original data."""
    model = str(run.path.resolve()) if run.config.recipe == "finetune" else run.config.model
    return recipe_defaults("finetune", model=model, extra_data=f"{BUNDLED_MODERN}+{CLASS_PREFIX}{round_id}",
                           max_rows=REPLAY_ROWS)


def replay_data(frame: pd.DataFrame) -> pd.DataFrame:
    """The messages a retrain may replay: the original seed-42 training split only, so that the original test
    split stays unseen by both models and compares them fairly."""
    from spamcore.data import split_dataset

    return split_dataset(frame).train.reset_index(drop=True)


def before_after(held_out: pd.DataFrame, test: pd.DataFrame, before, after) -> pd.DataFrame:
    """One row per measure, a column for the attacked model and one for the retrained one, each scored on the same
    messages: the held-out class messages, the original test split, the robustness suite."""
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.evaluation.robustness import suite_report

    rows = []
    for name, clf in (("before", before), ("after", after)):
        if len(held_out):
            predictions = clf.predict(list(held_out["text"]))
            wrong = np.array([p.verdict != "unsure" and p.label != ("spam" if t else "ham")
                              for p, t in zip(predictions, held_out["label"], strict=True)])
            rows.append((name, "class messages held out: share that fool it", float(wrong.mean())))
        probs = clf.predict_proba(list(test["text"]))
        rows.append((name, "original test split: spam F1",
                     binary_scores(test["label"].to_numpy(), probs, clf.threshold)["spam_f1"]))
        rows.append((name, "robustness suite: spam F1",
                     suite_report(clf.predict_proba, clf.threshold)["overall"]["spam_f1"]))
    table = pd.DataFrame(rows, columns=["when", "measure", "value"])
    return table.pivot(index="measure", columns="when", values="value").reindex(columns=["before", "after"])
