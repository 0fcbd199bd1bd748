"""The ready model as the package ships it (spamcore/model/shipped/): it loads, reproduces its recorded test-split
figures on the SMS Spam Collection, and answers ``spamcore predict`` and Classify with no run anywhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from spamcore.model.ready import READY_DESCRIPTION, READY_MODEL, READY_NAME
from spamcore.runs.store import ready_run

CRUISE = "You have won a free cruise, reply YES"


@pytest.fixture()
def with_ready_model(monkeypatch):
    monkeypatch.delenv("SPAMCORE_READY_MODEL", raising=False)
    info = ready_run()
    if info is None:
        pytest.fail("the package holds no ready model: python bench/ready_model.py build --teacher RUN")
    return info


def test_the_shipped_weights_reproduce_their_recorded_test_figures(with_ready_model, real_data):
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.evaluation.metrics import classification_report
    from spamcore.model.saved import load_classifier

    recorded = with_ready_model.metrics
    classifier = load_classifier(READY_MODEL)
    split = split_dataset(read_messages(real_data))
    report = classification_report(split.test["label"].to_numpy(), classifier.predict_proba(list(split.test["text"])))
    assert report["n"] == recorded["n"]
    assert report["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-9)
    assert report["classes"]["spam"]["f1"] == pytest.approx(recorded["classes"]["spam"]["f1"], abs=1e-9)


def test_the_shipped_package_is_small_and_carries_no_message_of_the_data(with_ready_model):
    folder = with_ready_model.path
    total = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    assert total <= 30e6, f"the ready model adds {total / 1e6:.1f} MB to the wheel (target: at most 30 MB)"
    assert not (folder / "test_predictions.csv").exists() and not (folder / "model.safetensors").exists()
    assert "/" not in with_ready_model.meta["config"]["distil_from"]  # no path of the machine that built it


def test_predict_answers_with_the_ready_model_and_names_it(with_ready_model, tmp_path):
    env = {**os.environ, "SPAMCORE_RUNS": str(tmp_path / "no-runs")}
    out = subprocess.run([sys.executable, "-m", "spamcore", "predict", CRUISE], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\t")[0] == "spam"
    assert READY_DESCRIPTION in out.stderr


def test_classify_uses_the_ready_model_when_no_run_exists(with_ready_model, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from spamcore.app.paths import SCRIPT

    monkeypatch.setenv("SPAMCORE_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(SCRIPT), default_timeout=120)
    at.switch_page("views/classify.py")
    at.run()
    assert not at.exception
    assert any("ready model" in c.value for c in at.caption), [c.value for c in at.caption]
    at.text_area(key="classify_text").input(CRUISE).run()
    assert not at.exception
    verdicts = [m.value for m in at.markdown if m.value.startswith("## Verdict:")]
    assert verdicts == ["## Verdict: :orange[**SPAM**]"]
    assert at.sidebar.selectbox[0].value == READY_NAME


def test_a_class_round_attacks_the_ready_model_when_no_run_exists(with_ready_model, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from spamcore.app.paths import SCRIPT
    from spamcore.app.ui import classroom

    monkeypatch.setenv("SPAMCORE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SPAMCORE_DB", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    monkeypatch.setenv("SPAMCORE_TEACHER_CODE", "s3cret")
    teacher = AppTest.from_file(str(SCRIPT), default_timeout=120).run()
    teacher.switch_page("views/board.py").run()
    assert not teacher.exception
    teacher.button(key="board_start").click().run()
    assert not teacher.exception
    current = classroom.store().current_round()
    assert current is not None and current.run_name == READY_NAME
    assert any(b.key == "board_start" for b in teacher.button)  # still there after the click

    monkeypatch.setenv("SPAMCORE_LOCAL_IS_TEACHER", "0")
    student = AppTest.from_file(str(SCRIPT), default_timeout=120).run()
    student.text_input(key="challenge_nickname").input("sam")
    student.text_area(key="challenge_text").input(CRUISE)
    student.radio(key="challenge_claimed").set_value("spam")
    student.button[0].click().run()
    assert not student.exception and not student.error
    frame = classroom.store().frame(current.id)
    assert len(frame) == 1 and frame.iloc[0]["verdict"] == "spam"


def test_spamcore_serve_without_a_run_serves_the_ready_model(with_ready_model, tmp_path):
    import httpx

    from devtools.browser import free_port, running_server

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SPAMCORE_READY_MODEL", "SPAMCORE_API_TOKEN")}
    url = f"http://127.0.0.1:{port}"
    with running_server([sys.executable, "-m", "spamcore", "serve", "--port", str(port)], url, cwd=tmp_path,
                        env={**env, "HF_HUB_OFFLINE": "1"}, log_path=tmp_path / "serve.log",
                        health="/v2/health/ready"):
        body = httpx.post(f"{url}/v1/classify", json={"text": CRUISE}, timeout=60).json()
    assert body["results"][0]["verdict"] == "spam"
    assert body["model"]["name"] == READY_DESCRIPTION and body["model"]["run"] == READY_NAME
