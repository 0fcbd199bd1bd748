"""A school's server in Streamlit's AppTest (SQLite; tests/test_browser_school.py runs the whole set-up on
PostgreSQL behind nginx): joining a class by its code, a teacher code that opens only its own class, the admin's
School page, and a loopback browser that is nobody's teacher there."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, TIMEOUT, app_env, texts  # noqa: F401 (fixtures)

from spamcore.classroom.classes import School
from spamcore.classroom.store import ClassStore, open_engine


@pytest.fixture()
def school(app_env, tmp_path, monkeypatch):  # noqa: F811 (the imported fixture)
    """A school with two classes; (School, {name: (class, teacher code)})."""
    db = f"sqlite:///{tmp_path / 'school.sqlite3'}"
    monkeypatch.setenv("SPAMCORE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SPAMCORE_DB", db)
    monkeypatch.setenv("SPAMCORE_SCHOOL", "1")
    monkeypatch.setenv("SPAMCORE_ADMIN_CODE", "adm-1")
    monkeypatch.setenv("SPAMCORE_READY_MODEL", "")  # the classes attack the ready model
    made = School(open_engine(db))
    return made, {name: made.create(name) for name in ("7A", "8B")}


def test_a_browser_on_the_server_is_nobodys_teacher_and_joins_a_class_by_its_code(school):
    _, classes = school
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and texts(at.title) == ["Fool the spam filter"]
    assert "Class code" in [t.label for t in at.text_input]
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("views/board.py")
    at.text_input[0].input("nope00")
    at.button[0].click().run()
    assert "No class has that code" in at.error[0].value
    seven_a = classes["7A"][0]
    at.text_input[0].input(seven_a.code.lower())
    at.button[0].click().run()
    assert not at.exception and f"Class {seven_a.name}" in [c.value for c in at.caption]
    assert at.query_params["class"] == seven_a.code


def test_the_address_of_the_qr_code_joins_its_class(school):
    made, classes = school
    ClassStore(made.engine, classes["8B"][0].id).start_round("spamcore-ready")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["class"] = classes["8B"][0].code
    at.run()
    assert not at.exception
    assert any("Round" in c.value and "spamcore-ready" in c.value for c in at.caption)


def test_a_teacher_code_opens_only_its_own_class(school):
    made, classes = school
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["class"] = classes["8B"][0].code
    at.run()
    at.text_input(key="teacher_code_input").input(classes["7A"][1]).run()
    assert "That is another class's teacher code" in at.error[0].value
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("views/board.py")
    at.text_input(key="teacher_code_input").input(classes["8B"][1]).run()
    at.run()
    at.switch_page("views/board.py").run()
    assert not at.exception and texts(at.title) == ["Class board"]
    at.button(key="board_start").click().run()
    assert made.store(classes["8B"][0].id).current_round() is not None
    assert made.store(classes["7A"][0].id).current_round() is None, "another class's board is untouched"


def test_the_admin_makes_a_class_and_sees_its_codes_once(school):
    made, _ = school
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="teacher_code_input").input("adm-1").run()
    at.run()
    assert not at.exception and texts(at.title) == ["School"]
    name_box = next(t for t in at.text_input if t.label == "Class name")
    name_box.input("9C computing")
    next(b for b in at.button if b.label == "Make the class").click().run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "9C computing" in shown and "teacher code" in shown
    nine_c = next(c for c in made.all() if c.name == "9C computing")
    teacher_code = shown.split("teacher code `")[1].split("`")[0]
    assert made.by_teacher_code(teacher_code) == nine_c
    assert f"?class={nine_c.code}" in shown
