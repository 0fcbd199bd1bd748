"""The two classes, by id: 0 is ham, 1 is spam (every file, report and head uses this order).

Kept apart from :mod:`spamcore.data.messages` so that what only needs the names (a verdict, a model's head) does not
import
pandas: a one-shot ``spamcore predict`` pays for every import.
"""

LABEL_NAMES: tuple[str, str] = ("ham", "spam")
