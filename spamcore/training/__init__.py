"""Layer 5, training: the one training loop, reporting through a callback (:mod:`.loop`; distillation from a teacher
run or a teacher file included), perturbations drawn per read (:mod:`.sampler`) and data-parallel training under
Hugging Face Accelerate (:mod:`.distributed`).

Import rule: may import :mod:`spamcore.model`, :mod:`spamcore.evaluation`, :mod:`spamcore.data` and
:mod:`spamcore.text`; never runs, the app or anything above. Writing a run folder is the runs layer's
(:mod:`spamcore.runs.experiment`).
"""
