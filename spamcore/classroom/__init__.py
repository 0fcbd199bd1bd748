"""Class mode: students try to fool a trained run from their own devices; the teacher moderates their messages
and retrains on them (:mod:`spamcore.classroom.store` holds them in SQLite or PostgreSQL)."""
