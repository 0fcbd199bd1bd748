"""What the app shows to teach, on top of the core: word attributions (``explain``), masked-language-model and
next-sentence views (``pretraining``), metrics over thresholds (``thresholds``), best epoch and overfitting
(``history``) and what the tokenizer does (``explore``).

The core (``spamcore.*``) never imports this package; the app and the benchmarks do.
"""
