"""A school's classes in one database (SQLite, and PostgreSQL when $SPAMCORE_TEST_POSTGRES names one): codes, the
teacher code kept only as a hash, and one class that can neither see nor change another's rounds and messages."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from test_class_store import store  # noqa: F401 (the same engines: SQLite and PostgreSQL)

from spamcore.classroom.classes import School, code_matches, normalise_class_code
from spamcore.classroom.store import ClassError, ClassStore, classes, migrate, open_engine


@pytest.fixture()
def school(store):  # noqa: F811
    return School(store.engine)


def test_classes_get_their_own_codes_and_a_teacher_code_kept_only_as_a_hash(school):
    first, first_code = school.create("8B computing")
    second, second_code = school.create("  9A  <b>maths</b>\n")
    assert [c.name for c in school.all()] == ["8B computing", "9A <b>maths</b>"]
    assert first.code != second.code and len(first.code) == 6 and first_code != second_code
    assert school.by_code(first.code.lower()[:3] + "-" + first.code.lower()[3:]) == first
    assert school.by_code("NOPE00") is None
    assert school.by_teacher_code(second_code) == second and school.by_teacher_code("wrong") is None
    with school.engine.connect() as conn:
        stored = conn.execute(sa.select(classes.c.teacher_hash)).scalars().all()
    assert all(first_code not in h and second_code not in h for h in stored)
    renewed = school.new_teacher_code(first.id)
    assert school.by_teacher_code(renewed) == first and school.by_teacher_code(first_code) is None
    with pytest.raises(ClassError, match="give the class a name"):
        school.create("   ")


def test_one_class_neither_sees_nor_changes_anothers_rounds_and_messages(school):
    a, _ = school.create("A")
    b, _ = school.create("B")
    laptop = ClassStore(school.engine)  # the laptop's one class, on the same database
    store_a, store_b = school.store(a.id), school.store(b.id)
    round_a = store_a.start_round("run-a")
    round_b = store_b.start_round("run-b")
    laptop_round = laptop.start_round("run-laptop")
    assert store_a.current_round() == round_a and store_b.current_round() == round_b, "rounds at the same time"
    assert laptop.current_round() == laptop_round
    mine = store_a.submit(round_a.id, "s1", "ana", "Win a prize now", "spam", "ham", 0.1)
    theirs = store_b.submit(round_b.id, "s2", "bo", "Lunch at one?", "ham", "ham", 0.1)

    assert list(store_a.frame()["id"]) == [mine] and list(store_b.frame()["id"]) == [theirs]
    assert store_a.count() == 1 and laptop.count() == 0
    with pytest.raises(ClassError, match="no class round"):
        store_a.submit(round_b.id, "s1", "ana", "into B's round", "spam", "ham", 0.1)
    with pytest.raises(ClassError, match="no message"):
        store_a.moderate(theirs, "rejected")
    assert store_a.delete_many([theirs]) == [] and store_a.moderate_many([theirs], "accepted") == []
    store_a.delete(theirs)
    assert store_b.frame().loc[0, "status"] == "pending" and store_b.count() == 1
    with pytest.raises(ClassError, match="another class"):
        store_a.restore(store_b.rows([theirs]))
    with pytest.raises(ClassError):
        store_a.round(round_b.id)
    assert [r.id for r in store_b.rounds()] == [round_b.id]


def test_class_codes_read_as_typed():
    assert normalise_class_code(" ab3-k7q ") == "AB3K7Q"
    assert not code_matches("x", "not-a-hash")


def test_a_laptop_database_from_before_classes_gains_them_and_keeps_its_rounds(tmp_path):
    path = tmp_path / "class.sqlite3"
    with sqlite3.connect(path) as conn:  # version 1 as it was released
        conn.executescript("""
            CREATE TABLE schema_version (version INTEGER PRIMARY KEY);
            INSERT INTO schema_version VALUES (1);
            CREATE TABLE rounds (id INTEGER PRIMARY KEY AUTOINCREMENT, run_name VARCHAR(200) NOT NULL,
                started_at FLOAT NOT NULL, ended_at FLOAT, retrained_run VARCHAR(200));
            INSERT INTO rounds (run_name, started_at) VALUES ('old-run', 1.0);
        """)
    engine = open_engine(f"sqlite:///{path}")
    assert migrate(engine) == 2
    assert ClassStore(engine).current_round().run_name == "old-run"
    assert School(engine).all() == []
