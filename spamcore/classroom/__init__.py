"""Class mode: students try to fool a trained run from their own devices; the teacher moderates their messages
and retrains on them (:mod:`spamcore.classroom.store` holds them in SQLite or PostgreSQL).

Layer 7 (beside teaching and serving). Import rule: may import every layer below and :mod:`spamcore.teaching`; never
serving, the app or the CLI.
"""
