"""Class mode in Streamlit's AppTest: the teacher's board, a student's Challenge, and what a student cannot reach."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, TIMEOUT, app_env, texts, tiny_run  # noqa: F401 (fixtures)

from spamcore.app.ui import classroom


@pytest.fixture()
def class_env(app_env, tiny_run, tmp_path, monkeypatch):  # noqa: F811 (the imported fixtures)
    """A runs folder with one finished run and a fresh class database."""
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    monkeypatch.setenv("SPAMCORE_DB", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    monkeypatch.setenv("SPAMCORE_TEACHER_CODE", "s3cret")
    return tmp_path


def as_student(monkeypatch) -> AppTest:
    monkeypatch.setenv("SPAMCORE_LOCAL_IS_TEACHER", "0")
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def test_a_student_sees_challenge_and_classify_only(class_env, monkeypatch):
    at = as_student(monkeypatch)
    assert not at.exception
    assert texts(at.title) == ["Fool the spam filter"]
    assert "The teacher has not started a round yet" in at.info[0].value
    for page in ("views/train.py", "views/runs.py", "views/board.py", "views/evaluate.py",
                 "views/data.py", "views/home.py", "views/bert.py"):
        with pytest.raises(ValueError, match=r"Known pages: \['[^']*challenge.py', '[^']*classify.py'\]"):
            at.switch_page(page)  # not registered for a student: no widget and no URL leads there
    at.switch_page("views/classify.py").run()
    assert not at.exception and texts(at.title) == ["Classify"]
    assert not [b for b in at.button if b.key == "quick_run"]  # no training from a student's device
    assert not at.get("selectbox") or all(s.key != "run_select" for s in at.selectbox)


def test_a_wrong_teacher_code_is_refused_and_the_right_one_opens_the_teacher_pages(class_env, monkeypatch):
    at = as_student(monkeypatch)
    at.text_input(key="teacher_code_input").input("guess").run()
    assert "That is not the teacher code." in [e.value for e in at.error]
    at.text_input(key="teacher_code_input").input("s3cret").run()
    at.run()  # the navigation is built at the start of a run: the next one is the teacher's
    at.switch_page("views/board.py").run()
    assert not at.exception and texts(at.title) == ["Class board"]


def test_a_round_from_the_board_then_a_student_fools_the_model_or_not(class_env, monkeypatch):
    teacher = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    teacher.switch_page("views/board.py").run()
    teacher.button(key="board_start").click().run()
    assert not teacher.exception
    current = classroom.store().current_round()
    assert current is not None and current.run_name == "tiny-finetune"

    student = as_student(monkeypatch)
    student.text_input(key="challenge_nickname").input("<script>x</script>")
    student.text_area(key="challenge_text").input("f r e e  c a s h, reply now")
    student.radio(key="challenge_claimed").set_value("spam")
    student.button[0].click().run()  # the form's Send button
    assert not student.exception and not student.error
    assert any(m.startswith("## ") for m in texts(student.markdown))
    assert any(m.startswith("**Why it said so**") for m in texts(student.markdown))  # after the verdict
    assert any("<span" in h.value for h in student.html)  # the words, coloured (escaped HTML)
    frame = classroom.store().frame(current.id)
    assert len(frame) == 1 and frame.iloc[0]["nickname"] == "<script>x</script>"  # kept as text

    student.text_area(key="challenge_text").input("")
    student.button[0].click().run()
    assert "write a message first" in student.error[0].value

    monkeypatch.setenv("SPAMCORE_LOCAL_IS_TEACHER", "1")
    teacher.run()
    assert not teacher.exception
    assert [m.label for m in teacher.metric][:2] == ["Attempts", "Fooled the model"]
    assert teacher.metric[0].value == "1"
    assert any(e.label.startswith("End of lesson") for e in teacher.expander)
    assert any("1 attempts by 1 students" in m for m in texts(teacher.markdown))


@pytest.mark.parametrize(("address", "local"), [
    (None, True), ("127.0.0.1", True), ("::1", True),
    ("::ffff:127.0.0.1", True),  # make app listens on IPv6 too: a browser at http://127.0.0.1 arrives like this
    ("192.168.1.20", False), ("::ffff:192.168.1.20", False), ("fe80::1", False), ("not an address", False),
])
def test_only_the_servers_own_machine_counts_as_loopback(address, local):
    from spamcore.app.ui.roles import is_loopback

    assert is_loopback(address) is local
