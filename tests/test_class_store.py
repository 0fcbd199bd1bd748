"""spamcore.classroom.store on real engines: SQLite (always) and PostgreSQL (when $SPAMCORE_TEST_POSTGRES names a
database; CI starts Debian's postgresql for it). Hostile input, many writers at once, moderation, export."""

from __future__ import annotations

import os
import threading
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from spamcore.classroom.store import (
    MAX_TEXT_CHARS,
    RATE_LIMIT,
    SCOPES,
    ClassError,
    ClassStore,
    fooled_over_time,
    leaderboard,
    migrate,
    moderation_targets,
    open_engine,
    split_for_training,
    to_csv,
)

POSTGRES = os.environ.get("SPAMCORE_TEST_POSTGRES", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'class.sqlite3'}")
    else:
        if not POSTGRES:
            pytest.skip("set SPAMCORE_TEST_POSTGRES=postgresql://user:pass@host/db to test PostgreSQL")
        schema = f"t{uuid.uuid4().hex[:12]}"  # each test in a schema of its own, dropped after it
        admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine = open_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")
        request.addfinalizer(lambda: _drop(admin, schema, engine))
    return ClassStore(engine)


def _drop(admin, schema: str, engine) -> None:
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_a_round_collects_attempts_and_says_who_fooled_the_model(store):
    first = store.start_round("run-a")
    assert store.current_round() == first
    store.submit(first.id, "s1", "ana", "WIN a free phone now", "spam", "spam", 0.97)
    store.submit(first.id, "s1", "ana", "f r e e  p h o n e", "spam", "ham", 0.10)
    store.submit(first.id, "s2", "ben", "lunch at noon?", "ham", "unsure", 0.50)
    frame = store.frame(first.id)
    assert list(frame["text"]) == ["lunch at noon?", "f r e e p h o n e", "WIN a free phone now"]  # newest first
    assert list(frame["fooled"]) == [False, True, False]  # "not sure" fools nobody
    board = leaderboard(frame)
    assert board.iloc[0]["nickname"] == "ana" and board.iloc[0]["fooled"] == 1
    assert fooled_over_time(frame)["attempts"].sum() == 3
    second = store.start_round("run-b")
    assert store.current_round() == second and store.round(first.id).ended_at is not None


def test_hostile_submissions_get_a_clear_answer(store):
    r = store.start_round("run")
    for text in ("", "   ", "\x00\x07\x1b"):
        with pytest.raises(ClassError, match="write a message first"):
            store.submit(r.id, "s", "x", text, "spam", "spam", 0.9)
    with pytest.raises(ClassError, match="truly spam or ham"):
        store.submit(r.id, "s", "x", "hello", "maybe", "spam", 0.9)
    long_id = store.submit(r.id, "s", "<script>alert(1)</script>", "a" * 20_000, "ham", "ham", 0.1)
    html_id = store.submit(r.id, "s", "eve", "<img src=x onerror=alert(1)>\x00 hi\nthere", "spam", "ham", 0.2)
    frame = store.frame(r.id).set_index("id")
    assert len(frame.loc[long_id, "text"]) == MAX_TEXT_CHARS
    assert frame.loc[long_id, "nickname"] == "<script>alert(1)</script>"[:24]  # stored as text, cut to its limit
    assert frame.loc[html_id, "text"] == "<img src=x onerror=alert(1)> hi there"  # control characters gone
    with pytest.raises(ClassError, match="already sent exactly this message"):
        store.submit(r.id, "other", "y", "<img src=x onerror=alert(1)> hi there", "spam", "ham", 0.2)


def test_each_session_is_rate_limited(store):
    r = store.start_round("run")
    for i in range(RATE_LIMIT):
        store.submit(r.id, "fast", "f", f"message {i}", "spam", "ham", 0.1)
    with pytest.raises(ClassError, match="slow down"):
        store.submit(r.id, "fast", "f", "one more", "spam", "ham", 0.1)
    store.submit(r.id, "another-session", "g", "one more", "spam", "ham", 0.1)  # others are not held up


def test_thirty_students_at_once_lose_nothing(store):
    r = store.start_round("run")
    errors: list[BaseException] = []

    def student(i: int) -> None:
        try:
            for k in range(3):
                store.submit(r.id, f"session-{i}", f"student{i}", f"message {k} from {i}", "spam", "ham", 0.2)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.count() == 90 and len(store.frame(r.id)) == 90


def test_the_same_message_100_times_is_stored_once(store):
    r = store.start_round("run")
    ok = 0
    for i in range(100):
        try:
            store.submit(r.id, f"s{i}", "copycat", "FREE cash now", "spam", "ham", 0.1)
            ok += 1
        except ClassError:
            pass
    assert ok == 1 and store.count() == 1


def test_moderation_and_the_training_split(store):
    r = store.start_round("run")
    ids = [store.submit(r.id, f"s{i}", "n", f"text {i}", "spam" if i % 2 else "ham", "ham", 0.3) for i in range(9)]
    for i in ids[:6]:
        store.moderate(i, "accepted")
    store.moderate(ids[6], "rejected")
    store.delete(ids[8])
    with pytest.raises(ClassError, match="status must be"):
        store.moderate(ids[0], "maybe")
    with pytest.raises(ClassError, match="no message"):
        store.moderate(10_000, "accepted")
    frame = store.frame(r.id)
    assert len(frame) == 8 and set(frame["status"]) == {"accepted", "rejected", "pending"}
    train, held = split_for_training(frame)
    assert len(train) + len(held) == 6 and len(held) == 2
    assert not set(train["id"]) & set(held["id"])
    assert set(train["label"]) <= {0, 1}


def test_fooled_counts_are_verified_by_the_teachers_label(store):
    """A scripted round with a known answer: a lie the teacher rejected fooled nobody, a flipped message counts by its
    corrected label, a deleted one is gone, a pending one counts but is unverified."""
    from spamcore.classroom.lesson import round_summary

    r = store.start_round("run")
    honest = store.submit(r.id, "s1", "ana", "hey btw WIN a cruise txt YES", "spam", "ham", 0.2)  # fooled it
    lie = store.submit(r.id, "s2", "liar", "good luck on your test tomorrow!", "spam", "ham", 0.1)  # a lie
    lie2 = store.submit(r.id, "s2", "liar", "win £1000, txt BLUE", "ham", "spam", 0.9)  # a lie
    wrong = store.submit(r.id, "s3", "cat", "your parcel fee is unpaid, pay here", "ham", "spam", 0.95)  # mislabelled
    gone = store.submit(r.id, "s3", "cat", "free prize now", "ham", "spam", 0.9)
    waiting = store.submit(r.id, "s4", "dan", "hiya, call me about the free tickets", "ham", "spam", 0.8)
    before = store.frame(r.id)
    assert before["fooled"].sum() == 6 and not before["verified"].any()  # all counted by the students' word
    store.moderate_many([honest], "accepted")
    store.moderate_many([lie, lie2], "rejected")
    store.flip_labels([wrong])  # truly spam: the model said spam, so it fooled nobody
    store.moderate_many([wrong], "accepted")
    store.delete_many([gone])
    frame = store.frame(r.id).set_index("id")
    fooled = set(frame.index[frame["fooled"]])
    assert fooled == {honest, waiting}  # counted by hand
    assert frame.loc[waiting, "verified"] == False and frame.loc[honest, "verified"] == True  # noqa: E712
    board = leaderboard(frame.reset_index()).set_index("nickname")
    assert board.loc["liar", "fooled"] == 0 and board.loc["ana", "fooled"] == 1 and board.loc["cat", "fooled"] == 0
    assert fooled_over_time(frame.reset_index())["fooled_rate"].sum() == pytest.approx(2 / 5)
    summary = round_summary(frame.reset_index())
    assert summary["attempts"] == 5 and summary["fooled"] == pytest.approx(2 / 5)


def test_many_rows_are_moderated_at_once_and_each_action_can_be_undone(store):
    r = store.start_round("run")
    a = store.submit(r.id, "s1", "ana", "WIN cash now", "spam", "ham", 0.2)  # fooled it
    b = store.submit(r.id, "s2", "ben", "lunch at noon?", "ham", "ham", 0.1)
    c = store.submit(r.id, "s3", "cy", "your parcel fee", "ham", "spam", 0.9)  # a wrong label: it is spam
    frame = store.frame(r.id)
    assert moderation_targets(frame, SCOPES[1]) == [a, b, c]
    assert moderation_targets(frame, SCOPES[2]) == [a, c]
    assert moderation_targets(frame, SCOPES[0], [c, 999]) == [c]  # a row gone meanwhile is dropped

    before = store.moderate_many([a, b], "accepted")
    assert set(store.frame(r.id).set_index("id").loc[[a, b], "status"]) == {"accepted"}
    store.restore(before)
    assert set(store.frame(r.id)["status"]) == {"pending"}

    flipped = store.flip_labels([c])
    row = store.frame(r.id).set_index("id").loc[c]
    assert row["claimed"] == "spam" and not row["fooled"]  # the model said spam: right all along
    store.restore(flipped)
    row = store.frame(r.id).set_index("id").loc[c]
    assert row["claimed"] == "ham" and row["fooled"]

    deleted = store.delete_many([a, c])
    assert list(store.frame(r.id)["id"]) == [b]
    store.restore(deleted)
    assert sorted(store.frame(r.id)["id"]) == [a, b, c]
    with pytest.raises(ClassError, match="status must be"):
        store.moderate_many([a], "maybe")


def test_export_is_csv_with_formulas_defused(store):
    r = store.start_round("run")
    store.submit(r.id, "s", "=cmd", "=HYPERLINK(\"x\")", "spam", "ham", 0.1)
    table = pd.read_csv(pd.io.common.BytesIO(to_csv(store.frame(r.id))))
    assert table.loc[0, "text"].startswith("'=") and table.loc[0, "nickname"] == "'=cmd"
    assert "session_id" not in table.columns


def test_migrating_twice_changes_nothing(store):
    assert migrate(store.engine) == 2
    assert migrate(store.engine) == 2


def test_a_bad_url_is_one_clear_error(tmp_path):
    from spamcore.errors import SpamcoreError

    with pytest.raises(SpamcoreError, match="cannot open the class database"):
        open_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'x.sqlite3'}")
