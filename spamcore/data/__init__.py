"""Layer 2, data: messages read from files (UCI, CSV, TSV, uploads), the 70/15/15 split, summaries and the cache
folder's copy of the SMS Spam Collection (:mod:`.messages`); the bundled corpora — the modern supplement, everyday
messages and contrast pairs (:mod:`.corpora`); message files written and read back (:mod:`.message_io`).

Import rule: may import :mod:`spamcore.text` (and the errors and cache); never a model, training, runs or anything
above.
"""
