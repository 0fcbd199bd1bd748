"""The Streamlit app under ``streamlit.testing.v1.AppTest``: every page, with and without a run, and the widgets
driving the real spamcore calls (tiny random BERT, hand-written messages; nothing from the real data)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import HAM, SPAM, messages_frame
from streamlit.testing.v1 import AppTest

from spamcore.app.paths import SCRIPT
from spamcore.errors import DataError
from spamcore.model.config import recipe_defaults
from spamcore.runs import jobs
from spamcore.runs.experiment import run_experiment

ROOT = Path(__file__).resolve().parents[1]
APP = str(SCRIPT)
PAGES = {
    "views/home.py": "spamcore — a BERT spam-classification lab",
    "views/data.py": "Data",
    "views/train.py": "Train",
    "views/evaluate.py": "Evaluate",
    "views/classify.py": "Classify",
}
TIMEOUT = 60


def tiny_config(model_dir, **overrides):
    values = dict(model=str(model_dir), augment="", extra_data="", epochs=1, batch_size=8, max_length=16,
                  precision="fp32", device="cpu")
    return recipe_defaults("finetune", **{**values, **overrides})


@pytest.fixture(scope="session")
def tiny_run(tiny_model_dir, tmp_path_factory) -> Path:
    """A runs folder holding one finished run of the tiny model on the hand-written messages."""
    root = tmp_path_factory.mktemp("runs-with-one")
    run_experiment(tiny_config(tiny_model_dir), messages_frame(4), root / "tiny-finetune", data_name="hand-written")
    return root


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    """Empty runs folder, a small hand-written data file as the built-in data, a fresh job manager."""
    data = tmp_path / "messages.tsv"
    frame = messages_frame(4)
    data.write_text("".join(f"{('ham', 'spam')[y]}\t{t}\n" for t, y in zip(frame.text, frame.label, strict=True)))
    monkeypatch.setenv("SPAMCORE_DATA", str(data))
    monkeypatch.setenv("SPAMCORE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(jobs, "_MANAGERS", {})
    yield tmp_path
    for job in jobs.get_manager().jobs():
        job.stop()
        job.wait(180)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page != "views/home.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_a_run(app_env, page):
    at = open_page(page)
    assert texts(at.title) == [PAGES[page]]
    assert not at.error
    assert at.selectbox(key="run_select").options == []
    if page.endswith("evaluate.py"):
        assert "No finished run yet" in at.info[0].value
    if page.endswith("classify.py"):
        assert at.button(key="quick_run").label == "Quick frozen run"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_run(app_env, tiny_run, monkeypatch, page):
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    at = open_page(page)
    assert texts(at.title) == [PAGES[page]]
    assert not at.error
    assert at.selectbox(key="run_select").value == "tiny-finetune"
    if page.endswith("evaluate.py"):
        assert [m.label for m in at.metric][:2] == ["Test accuracy", "Spam F1"]
        # Two confusion matrices, the loss curves, the threshold's confusion matrix, PR and ROC curves, and the
        # robustness suite by category.
        assert len(at.get("plotly_chart")) == 8
        assert len(at.dataframe) >= 1


def test_home_shows_the_citation_and_the_fix_when_data_is_missing(app_env, monkeypatch):
    at = open_page("views/home.py")
    assert any("Almeida" in c.value for c in at.caption)
    assert "Data found: 80 messages" in at.success[0].value

    monkeypatch.setenv("SPAMCORE_DATA", str(app_env / "missing.tsv"))
    calls = []

    def offline(*args, **kwargs):
        calls.append(1)
        raise DataError("Could not download the SMS Spam Collection (offline)")

    monkeypatch.setattr("spamcore.data.messages.download_dataset", offline)
    at = open_page("views/home.py")
    assert "Data not found" in at.warning[0].value and "SPAMCORE_DATA" in at.warning[0].value
    assert any("Upload" in m.value for m in at.markdown)
    at.button(key="home_download").click().run()
    assert calls == [1]
    assert "Could not download" in at.error[0].value
    assert not at.exception


def test_data_page_upload_charts_and_tokenizer(app_env):
    at = open_page("views/data.py")
    assert "80 messages" in at.caption[0].value
    assert len(at.get("plotly_chart")) == 3  # balance, words, tokens
    at.radio(key="data_source").set_value("Upload a CSV/TSV").run()
    assert "No file uploaded yet" in at.info[0].value

    rows = [("ham", t) for t in HAM] + [("spam", t) for t in SPAM]
    csv = "label,text\n" + "".join(f'{label},"{text}"\n' for label, text in rows)
    at.file_uploader(key="data_upload").set_value(("mine.csv", csv.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert "upload: mine.csv: 20 messages" in at.caption[0].value
    assert "upload: mine.csv" in " ".join(texts(at.sidebar.text))
    assert not at.warning and len(at.dataframe) == 3  # samples, the 70/15/15 split, the token table

    at.file_uploader(key="data_upload").set_value(("photo.csv", b"\x89PNG\r\n\x1a\n...", "text/csv")).run()
    assert "PNG image" in at.error[0].value and not at.exception

    at = open_page("views/data.py")
    at.slider(key="data_max_length").set_value(8).run()
    at.text_input(key="tok_text").input("Congratulations you won a free holiday text claim now").run()
    assert not at.exception
    assert "cuts these" in at.warning[0].value
    assert "[CLS]" in at.code[0].value and "[SEP]" in at.code[0].value


def test_train_page_shows_live_progress_and_stop(app_env, tiny_model_dir):
    at = open_page("views/train.py")
    assert "No training yet" in at.info[0].value
    at.radio(key="train_recipe").set_value("finetune").run()
    assert at.number_input(key="train_epochs").value == recipe_defaults("finetune").epochs
    at.text_input(key="train_model").input(str(tiny_model_dir))
    at.number_input(key="train_epochs").set_value(300)
    at.number_input(key="train_batch_size").set_value(4)
    at.number_input(key="train_max_length").set_value(16)
    at.text_input(key="train_run_name").input("live-tiny")
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error

    seen = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        at.run()
        bar = [p.text for p in at.get("progress")]
        seen += bar
        if any(t.startswith("Step ") and "ETA" in t and "ETA …" not in t for t in bar):
            break
    assert any(t.startswith("Step ") and "ETA" in t for t in seen), seen
    assert at.get("plotly_chart"), "the live loss chart is drawn"
    assert at.button(key="train_start").disabled  # one training at a time
    # A reloaded tab (a new session) finds the same running job.
    reloaded = open_page("views/train.py")
    assert "Run live-tiny" in texts(reloaded.subheader)
    assert any(p.text.startswith("Step ") for p in reloaded.get("progress"))

    at.button(key="train_stop").click().run()
    job = jobs.get_manager().get("live-tiny")
    assert job.wait(180)
    at.run()
    assert job.snapshot().status == "stopped"
    assert any("Stopped" in w.value for w in at.warning)
    assert at.selectbox(key="run_select").value == "live-tiny"  # the stopped run is selected


def test_train_page_runs_a_short_training_to_the_end(app_env, tiny_model_dir):
    at = open_page("views/train.py")
    at.radio(key="train_recipe").set_value("finetune").run()
    at.text_input(key="train_model").input(str(tiny_model_dir))
    at.number_input(key="train_epochs").set_value(2)
    at.number_input(key="train_batch_size").set_value(8)
    at.button(key="train_start").click().run()
    job = jobs.get_manager().jobs()[-1]
    assert job.wait(180)
    at.run()
    assert "Finished" in at.success[0].value
    assert at.get("progress")[0].value == 100
    assert len(at.dataframe) == 1  # the per-epoch table
    assert at.selectbox(key="run_select").value == job.run_name


def test_train_page_reports_bad_settings_and_a_busy_server(app_env, tiny_model_dir):
    at = open_page("views/train.py")
    at.number_input(key="train_max_rows").set_value(5)
    at.button(key="train_start").click().run()
    assert "max_rows must be between 20" in at.error[0].value and not at.exception

    busy = jobs.get_manager().start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), messages_frame(4),
                                    "hand-written", run_name="someone-else")
    at = open_page("views/classify.py")
    at.button(key="quick_run").click().run()
    assert "Training is busy" in at.error[0].value and "someone-else" in at.error[0].value
    busy.stop()
    assert busy.wait(180)


def test_train_failure_is_shown_as_a_message(app_env, tmp_path):
    at = open_page("views/train.py")
    at.text_input(key="train_model").input(str(tmp_path / "not-a-model"))
    at.button(key="train_start").click().run()
    assert "does not exist" in at.error[0].value  # refused at Start, before a trainer is launched
    assert jobs.get_manager().jobs() == []
    assert not at.exception


def test_classify_single_and_bulk(app_env, tiny_run, monkeypatch):
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    at = open_page("views/classify.py")
    at.text_area(key="classify_text").input("WINNER! Claim your free prize now").run()
    assert not at.exception
    verdicts = [m for m in texts(at.markdown) if m.startswith("## Verdict:")]
    assert verdicts in (["## Verdict: :orange[**SPAM**]"], ["## Verdict: :blue[**HAM**]"])
    assert len(at.get("plotly_chart")) == 1

    at.text_area(key="classify_text").input("   ").run()
    assert not at.get("plotly_chart")

    at.text_area(key="bulk_text").input("See you at home\n\n=cmd|' /C calc'!A0\nFree prize txt WIN now").run()
    at.button(key="bulk_go").click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table.columns) == ["message", "verdict", "leaning", "spam_probability", "truncated"]
    assert len(table) == 3 and set(table["verdict"]) <= {"ham", "spam", "unsure"}
    assert at.download_button(key="bulk_download").label == "Download as CSV"

    csv = b"id,text\n1,Are we still on for lunch today?\n2,URGENT! You won a prize. Call now\n"
    at.file_uploader(key="bulk_upload").set_value(("many.csv", csv, "text/csv"))
    at.button(key="bulk_go").click().run()
    assert len(at.dataframe[0].value) == 2

    at.file_uploader(key="bulk_upload").set_value(None)
    at.text_area(key="bulk_text").input("")
    at.button(key="bulk_go").click().run()
    assert "nothing to classify" in at.error[0].value


def test_classify_says_not_sure_inside_the_band_with_the_careful_reader(app_env, tiny_run, tmp_path, monkeypatch):
    import json
    import shutil

    from spamcore.runs.layout import RUN_FILE

    root = tmp_path / "unsure-runs"
    run = Path(shutil.copytree(tiny_run / "tiny-finetune", root / "tiny-finetune"))
    meta = json.loads((run / RUN_FILE).read_text())
    meta["calibration"]["unsure_half_width"] = 0.5  # every message is in the band
    (run / RUN_FILE).write_text(json.dumps(meta))
    monkeypatch.setenv("SPAMCORE_RUNS", str(root))
    at = open_page("views/classify.py")
    at.text_area(key="classify_text").input("Your parcel is held, pay the fee at parcel.example.com").run()
    assert not at.exception
    assert "## Verdict: :gray[**NOT SURE**]" in texts(at.markdown)
    assert any("Not sure — check the links and the sender" in w.value for w in at.warning)
    assert any("careful reader" in m for m in texts(at.markdown))
    at.text_area(key="bulk_text").input("one\ntwo").run()
    at.button(key="bulk_go").click().run()
    assert set(at.dataframe[-1].value["verdict"]) == {"unsure"}
    assert any("2 not sure" in c.value for c in at.caption)


def test_evaluate_shows_calibration_and_the_unsure_band(app_env, tiny_run, monkeypatch):
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    at = open_page("views/evaluate.py")
    assert not at.exception
    assert "Honest probabilities: calibration and “not sure”" in texts(at.subheader)
    assert any("Expected calibration error on the test split" in m for m in texts(at.markdown))
    assert at.get("plotly_chart")  # the reliability diagram is among the charts
    tricks = next(d.value for d in at.dataframe if "trick" in d.value.columns)
    assert tricks["trick"].tolist() == ["as written", "spacing", "swaps", "dense swaps", "homoglyphs", "leet",
                                        "zero-width", "friendly wrapper", "paraphrase"]


def test_quick_frozen_run_from_classify(app_env):
    at = open_page("views/classify.py")
    at.button(key="quick_run").click().run()
    assert not at.exception and not at.error
    assert texts(at.title) == ["Train"]  # switched to the Train page to watch it
    job = jobs.get_manager().jobs()[-1]
    assert job.config.recipe == "frozen"
    assert job.wait(120)
    assert job.snapshot().status == "finished", job.snapshot().error


def test_evaluate_shows_the_suite_beside_the_test_score_with_misses_and_probes(app_env, tiny_run, monkeypatch):
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    at = open_page("views/evaluate.py")
    assert "Outside the test set: messages written today" in texts(at.subheader)
    labels = [m.label for m in at.metric]
    for label in ("Test split: spam F1", "Typed spam: F1", "Smishing: F1",
                  "Whole suite: spam F1"):
        assert label in labels
    probes = probe_table(at)
    assert probes["change"].tolist()[:3] == ["as written", "first 6 words", "numbers removed"]
    assert probes["spam probability"].between(0, 1).all()
    at.text_input(key="eval_probe_text").input("free prize 123 now").run()
    assert not at.exception
    assert probe_table(at)["message"].tolist()[0] == "free prize 123 now"


def probe_table(at: AppTest):
    """The shortcut-probe table (AppTest finds dataframes by position, not by key)."""
    return next(d.value for d in at.dataframe if "change" in d.value.columns)


def test_train_page_offers_the_robustness_settings_with_recipe_defaults(app_env):
    at = open_page("views/train.py")
    at.radio(key="train_recipe").set_value("finetune").run()
    assert at.multiselect(key="train_augment").value == ["crop", "digits", "numbers", "typos", "leet", "footers",
                                                         "chat", "swaps"]
    assert at.checkbox(key="train_normalise").value is True
    assert at.selectbox(key="train_extra_data").value == "bundled:modern"
    assert at.checkbox(key="train_dedupe").value is False
    at.radio(key="train_recipe").set_value("frozen").run()
    assert at.multiselect(key="train_augment").value == []
    assert at.checkbox(key="train_normalise").value is False
    assert at.selectbox(key="train_extra_data").value == ""
    assert any("robust recipe" in c.value for c in at.caption)


def test_data_page_counts_test_messages_also_in_training(app_env):
    at = open_page("views/data.py")
    assert any("test messages** also stand in the training split" in m.value for m in at.markdown)


def test_the_shipped_server_config_keeps_the_server_cheap():
    """No file watcher (it walked .venv and spun a core) and no full garbage collection after every script run (78 %
    of the server's CPU per typed verdict with torch loaded): both measured in bench/laptop.py."""
    from spamcore.app.settings import STREAMLIT_OPTIONS

    assert STREAMLIT_OPTIONS["server.fileWatcherType"] == "none" and STREAMLIT_OPTIONS["server.runOnSave"] is False
    assert STREAMLIT_OPTIONS["runner.postScriptGC"] is False
