"""Layer 3, evaluation: what a classifier's scores mean — the spam rule and reports (:mod:`.metrics`), any threshold,
PR and ROC curves and a confusion cell's messages (:mod:`.thresholds`), calibration and "not sure"
(:mod:`.calibration`),
a training history (:mod:`.history`), the hand-written suites outside the test set (:mod:`.robustness`,
:mod:`.suites`), the repair view's effect (:mod:`.repair_effect`), the TF-IDF baseline (:mod:`.baseline`) and the
charts (:mod:`.figures`).

Import rule: may import :mod:`spamcore.data` and :mod:`spamcore.text`; never the model, training, runs, the app or
anything above: it scores any function from texts to probabilities (a run, the TF-IDF baseline, a stand-in), so the
model's verdicts can use its spam rule and "not sure" band. Nothing here imports Streamlit.
"""
