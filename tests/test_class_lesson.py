"""spamcore.classroom.lesson: the end of a lesson — which tricks a class used and which worked, as HTML and CSV."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from spamcore.classroom.lesson import lesson_csv, lesson_html, round_summary, trick_table, tricks_in


@pytest.mark.parametrize(("text", "claimed", "expected"), [
    ("W I N  a  f r e e  c r u i s e", "spam", ["spaced letters"]),
    ("F.R.E.E prize", "spam", ["spaced letters"]),
    ("Раураl: confirm your login", "spam", ["look-alike letters"]),
    ("y0ur p4yp4l is l1m1t3d", "spam", ["leetspeak"]),
    ("free\u200b prize", "spam", ["invisible characters"]),
    ("claim at hmrc-refund.co.uk", "spam", ["link"]),
    ("hey! long time :) btw you won a cruise, pay the fee today", "spam", ["friendly wrapper"]),
    ("hey! see you at 6pm on the 2nd floor", "ham", ["as written"]),  # a greeting in ham is no trick
    ("mail me at bob@example.com", "ham", ["link"]),  # its domain reads as a link; it is not leetspeak
    ("WINNER! call 09061234567 now", "spam", ["as written"]),
    # Most words misspelt on purpose (the trick table filed this "as written" before issue 33).
    ("Yo ur Fortnite acct will be dleted unles u verfy", "spam", ["letter swaps", "friendly wrapper"]),
    ("Cnogrtaulations! Yuo hvae wno a fere cruies, rpely YSE", "spam", ["letter swaps"]),
    ("Ok lar... Joking wif u oni...", "ham", ["as written"]),  # SMS shorthand is no trick
])
def test_tricks_are_found_with_the_checks_normalisation_makes(text, claimed, expected):
    assert tricks_in(text, claimed) == expected


def test_letter_swaps_are_named_on_the_evasion_suite_and_rarely_on_real_ham(real_data):
    from spamcore.classroom.lesson import has_letter_swaps
    from spamcore.data.messages import read_messages
    from spamcore.evaluation.suites.evasion import load_evasion_suite

    exam = load_evasion_suite()
    share = {trick: group["text"].map(has_letter_swaps).mean() for trick, group in exam.groupby("trick")}
    assert share["swaps"] > 0.9 and share["dense swaps"] > 0.75 and share["as written"] < 0.02
    ham = read_messages(real_data).query("label == 0")["text"]
    assert ham.map(has_letter_swaps).mean() < 0.05  # names and slang: 2.6 % of the 2011 ham


def _frame() -> pd.DataFrame:
    rows = [("s1", "ana", "W I N a cruise", "spam", "ham", True), ("s1", "ana", "y0ur acc0unt", "spam", "spam", False),
            ("s2", "<b>ben</b>", "hey! btw send £50 for the fee", "spam", "ham", True),
            ("s3", "cat", "see you at 6", "ham", "unsure", False)]
    return pd.DataFrame(rows, columns=["session_id", "nickname", "text", "claimed", "verdict", "fooled"])


def test_the_round_and_its_tricks_in_numbers():
    frame = _frame()
    assert round_summary(frame) == {"attempts": 4, "students": 3, "fooled": 0.5, "not sure": 0.25}
    table = trick_table(frame).set_index("trick")
    assert table.loc["spaced letters", "fooled"] == 1.0 and table.loc["leetspeak", "fooled"] == 0.0
    assert table.loc["as written", "not sure"] == 1.0
    assert list(table.index[:2]) == ["friendly wrapper", "spaced letters"]  # most fooling first
    assert round_summary(frame.iloc[:0]) == {"attempts": 0, "students": 0, "fooled": 0.0, "not sure": 0.0}


def test_the_lesson_as_html_escapes_every_text_and_as_csv_reads_back():
    frame = _frame()
    comparison = pd.DataFrame({"before": [0.964], "after": [0.962]}, index=["original test split: spam F1"])
    page = lesson_html(3, "run <x>", frame, comparison)
    assert "<b>ben</b>" not in page and "&lt;b&gt;ben&lt;/b&gt;" in page and "run &lt;x&gt;" in page
    assert "<script" not in page and "Before → after" in page
    table = pd.read_csv(io.BytesIO(lesson_csv(frame, comparison)))
    assert list(table.columns) == ["section", "name", "value"]
    assert table.query("section == 'round' and name == 'attempts'")["value"].iloc[0] == 4
    assert "before → after: original test split: spam F1" in set(table["section"])
