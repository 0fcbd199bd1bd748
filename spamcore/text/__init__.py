"""Layer 1, text: what a message is before any model reads it — the class names (:mod:`.labels`), the normalisation
that undoes look-alike letters, invisible characters and spaced-out words (:mod:`.normalise`), the repair view that
maps only words no vocabulary knows to known ones (:mod:`.repair`), and the perturbations training draws against the
tricks people use (:mod:`.augment`).

Import rule: imports nothing of spamcore's but :mod:`spamcore.errors` and :mod:`spamcore.cache`; no torch, no pandas at
import time.
"""
