"""What a run's repair view (scheme ``v4``,
spamcore.text.repair) does to its verdicts: the same weights read with it and
without it (``v1``), on the ham it must leave alone and on the disguised spam it is for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spamcore.evaluation.robustness import load_suite, verdicts
from spamcore.evaluation.suites.evasion import load_evasion_suite


def repair_effect(classifier, test: pd.DataFrame) -> dict:
    """What a run's repair view (scheme ``v4``,
spamcore.text.repair) does to its verdicts, on the same weights read with
    and without it (``v1``): the share of ham (the test split's and the suite's) whose verdict changes, and of the
    evasion suite's dense swaps the share caught with it, caught by the model alone, and caught only thanks to it."""
    from spamcore.text.normalise import normalising

    suite = load_suite()
    ham = [*test["text"][test["label"] == 0], *suite["text"][suite["label"] == 0]]
    exam = load_evasion_suite()
    dense = list(exam["text"][exam["trick"] == "dense swaps"])
    band = classifier.unsure_band

    def read(texts: list[str]) -> np.ndarray:
        return verdicts(classifier.predict_proba(texts), classifier.threshold, band)

    repaired = read(ham), read(dense)
    kept = classifier.tokenizer
    classifier.tokenizer = normalising(kept, "v1")
    try:
        plain = read(ham), read(dense)
    finally:
        classifier.tokenizer = kept
    changed = int((repaired[0] != plain[0]).sum())
    caught, caught_plain = repaired[1] == "spam", plain[1] == "spam"
    return {"ham": len(ham), "ham_changed": changed, "ham_changed_share": changed / max(len(ham), 1),
            "dense": len(dense), "dense_caught": float(caught.mean()), "dense_model_share": float(caught_plain.mean()),
            "dense_repair_share": float((caught & ~caught_plain).mean())}
