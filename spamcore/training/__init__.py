"""Layer 4, training: the one training loop, reporting through a callback (:mod:`.loop`; distillation from a teacher
run or a teacher file included), perturbations drawn per read (:mod:`.sampler`) and data-parallel training under
Hugging Face Accelerate (:mod:`.distributed`).

Import rule: may import :mod:`spamcore.model`, :mod:`spamcore.data` and :mod:`spamcore.text` (and the pure metrics of
:mod:`spamcore.evaluation.metrics`); never runs, the app or anything above. Writing a run folder is the runs layer's
(:mod:`spamcore.runs.experiment`).
"""
