"""spamcore.teaching.indicators: what a careful reader checks, and the operating point in words."""

from __future__ import annotations

from spamcore.teaching.indicators import find_indicators, operating_point_words


def kinds(text: str) -> list[tuple[str, str]]:
    return [(i.kind, i.text) for i in find_indicators(text)]


def test_known_answers():
    assert kinds("Win £500! Text WIN to 80086 or see bit.ly/x") == [
        ("shortened link", "bit.ly/x"), ("short code", "80086"), ("money", "£500")]
    assert kinds("Call 09061701461 now, or visit https://example.com/claim") == [
        ("link", "https://example.com/claim"), ("phone number", "09061701461")]
    assert kinds("see you at 7, bring 20 pounds") == [("money", "20 pounds")]


def test_plain_messages_have_none():
    assert find_indicators("are we still on for lunch?") == []
    assert find_indicators("") == []


def test_operating_point_in_words():
    assert operating_point_words(fp=5, tn=995, tp=90, fn=10) == (
        "Of 1,000 normal messages, about 5 would be blocked; of 100 spam, about 90 would be caught.")
    assert "about 0 would be blocked" in operating_point_words(fp=0, tn=0, tp=0, fn=0)
