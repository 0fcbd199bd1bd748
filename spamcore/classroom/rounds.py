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

from spamcore.model.config import BUNDLED_MODERN, TrainConfig, recipe_defaults

#: Original messages replayed when retraining (a stratified sample of the training split), and the retrain's
#: learning rate: chosen with bench/class_round.py over three seeds. The finetune default (1e-4, 1,500 replayed)
#: forgot: test-split spam F1 0.964 → 0.950; 2e-5 with 1,500 still lost 0.011; 2e-5 with 3,000 lost 0.001; 5e-5
#: with 3,000 kept it (+0.003) and lowered held-out class errors 0.40 → 0.30, in about 1.5 minutes on 2 CPU cores.
REPLAY_ROWS = 3000
RETRAIN_LR = 5e-5
#: The weight of keeping the attacked run's own predictions on the replayed messages (issue 33; bench/class_round.py,
#: three seeds on a 2-core laptop without bf16: held-out class errors 0.25 → 0.15, test-split spam F1 −0.005, 119 s
#: a retrain against 305 s for the retrain before issues 31 and 33).
KEEP_WEIGHT = 1.0


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


def distance_to_fooling(spam_probability: float, claimed: str, band) -> float:
    """How far a "not sure" verdict was from the wrong verdict: the spam probability still to move past the band's
    edge on the other side. Example: 0.30 on a message claimed spam, band 0.18–0.82: 0.12."""
    return max(0.0, spam_probability - band.low) if claimed == "spam" else max(0.0, band.high - spam_probability)


def class_file_name(round_id: int) -> str:
    """The file in the retrained run's folder that holds the class messages it learns from (the trainer reads files,
    never the class store; a folder holding it still counts as new, :data:`spamcore.runs.layout.CLASS_FILE`);
    :func:`spamcore.model.config.model_description` names the round from it."""
    return f"class-round-{int(round_id)}.tsv"


def retrain_config(run) -> TrainConfig:
    """A finetune that continues from ``run`` (a finetune run) or starts from its base model (a frozen run), with the
    supplement added, on a replayed sample of the original data; the class's accepted messages join ``extra_data`` as
    a file (:func:`class_file_name`; the Class board hands it to :meth:`spamcore.runs.jobs.JobManager.start`). A
    finetune run also keeps its own predictions on the replayed messages while it learns the class's
    (``distil_from``: Learning without Forgetting, Li & Hoiem 2016)."""
    finetuned = run.config.recipe == "finetune"
    model = str(run.path.resolve()) if finetuned else run.config.model
    keep = model
    normalise = None  # the recipe's
    if getattr(run, "is_ready_model", False):  # weights stored as a delta: continue from the whole model
        from spamcore.runs.packaging import full_model_folder

        model, normalise = str(full_model_folder(run.path)), run.config.normalise
    return recipe_defaults("finetune", model=model, extra_data=BUNDLED_MODERN, normalise=normalise,
                           max_rows=REPLAY_ROWS, lr=RETRAIN_LR, distil_from=keep if finetuned else "",
                           distil_weight=KEEP_WEIGHT)


def replay_data(frame: pd.DataFrame) -> pd.DataFrame:
    """The messages a retrain may replay: the original seed-42 training split only, so that the original test
    split stays unseen by both models and compares them fairly."""
    from spamcore.data.messages import split_dataset

    return split_dataset(frame).train.reset_index(drop=True)


#: A drop of the original test split's spam F1 larger than this is flagged as forgetting.
FORGETTING_TOLERANCE = 0.005
#: Where a retrained run keeps its before → after, so that a board redraw reads it instead of scoring two models.
COMPARISON_FILE = "class-comparison.json"

HELD_FOOLED = "class messages held out: share that fool it"
HELD_UNSURE = 'class messages held out: share "not sure"'
HELD_ERRORS = 'class messages held out: share fooled or "not sure"'
HELD_ACCURACY = "class messages held out: accuracy"
HELD_TRUE_PROBABILITY = "class messages held out: mean probability of the true label"
TEST_F1 = "original test split: spam F1"
SUITE_F1 = "robustness suite: spam F1"


def held_out_scores(predictions, labels) -> dict[str, float]:
    """What a model does on the held-out class messages (``labels``: 1 spam, 0 ham). A "not sure" verdict fools
    nobody but is no right answer either, so it is counted on its own and in the errors.

    Example: verdicts spam, unsure, ham on labels 1, 1, 1 → fooled 1/3, not sure 1/3, errors 2/3, accuracy 1/3.
    """
    truth = np.array(["spam" if t else "ham" for t in labels])
    verdicts = np.array([p.verdict for p in predictions])
    spam_p = np.array([p.spam_probability for p in predictions], dtype=float)
    unsure = verdicts == "unsure"
    fooled = ~unsure & (verdicts != truth)
    return {HELD_FOOLED: float(fooled.mean()), HELD_UNSURE: float(unsure.mean()),
            HELD_ERRORS: float((fooled | unsure).mean()), HELD_ACCURACY: float((verdicts == truth).mean()),
            HELD_TRUE_PROBABILITY: float(np.where(truth == "spam", spam_p, 1 - spam_p).mean())}


def before_after(held_out: pd.DataFrame, test: pd.DataFrame, before, after) -> pd.DataFrame:
    """One row per measure, a column for the attacked model and one for the retrained one, each scored on the same
    messages: the held-out class messages, the original test split, the robustness suite."""
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.evaluation.robustness import suite_report

    columns = {}
    for name, clf in (("before", before), ("after", after)):
        values = {}
        if len(held_out):
            values.update(held_out_scores(clf.predict(list(held_out["text"])), held_out["label"]))
        probs = clf.predict_proba(list(test["text"]))
        values[TEST_F1] = binary_scores(test["label"].to_numpy(), probs, clf.threshold)["spam_f1"]
        # By the verdict a user sees, as saved runs and Evaluate score the suite: "not sure" is not caught.
        values[SUITE_F1] = suite_report(clf.predict_proba, clf.threshold,
                                        band=clf.unsure_band)["overall"]["spam_f1"]
        columns[name] = values
    table = pd.DataFrame(columns)
    table.index.name = "measure"
    return table[["before", "after"]]


def forgetting(table: pd.DataFrame) -> float | None:
    """How much of the original test split's spam F1 the retrained model lost, when more than
    :data:`FORGETTING_TOLERANCE` (None when it kept it). Example: 0.964 → 0.947 gives 0.017."""
    drop = float(table.loc[TEST_F1, "before"] - table.loc[TEST_F1, "after"])
    return drop if drop > FORGETTING_TOLERANCE else None


def comparison_key(before_run: str, after_run: str, held_out: pd.DataFrame) -> str:
    """What a stored before → after was computed on: both runs and the held-out messages (by id)."""
    ids = ",".join(str(int(i)) for i in sorted(held_out["id"])) if "id" in held_out else str(len(held_out))
    return f"{before_run}|{after_run}|{ids}"


def read_comparison(after_dir, key: str) -> pd.DataFrame | None:
    """The before → after stored beside the retrained run for ``key``, or None."""
    import json
    from pathlib import Path

    try:
        stored = json.loads((Path(after_dir) / COMPARISON_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("key") != key:
        return None
    table = pd.DataFrame(stored["rows"]).set_index("measure")
    return table[["before", "after"]]


def write_comparison(after_dir, key: str, table: pd.DataFrame) -> None:
    """Store ``table`` beside the retrained run (written whole, then renamed: a reader never sees half)."""
    import json
    import os
    from pathlib import Path

    target = Path(after_dir) / COMPARISON_FILE
    partial = target.with_suffix(".partial")
    rows = [{"measure": m, "before": float(r["before"]), "after": float(r["after"])} for m, r in table.iterrows()]
    partial.write_text(json.dumps({"key": key, "rows": rows}, indent=1), encoding="utf-8")
    os.replace(partial, target)
