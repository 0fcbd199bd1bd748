"""Hostile input to the Streamlit app under AppTest: odd messages, bad files, bad settings, a busy server.

Every case must end in an ``st.error`` (or a note) that says what is wrong — never an exception on the page —
and user text must only ever be shown as text (the verdict markdown holds our labels, never the message).
"""

# ruff: noqa: F811  (the fixtures app_env and tiny_run are imported from test_app, then used as arguments)
from __future__ import annotations

import pytest
from conftest import messages_frame
from test_app import app_env, open_page, texts, tiny_config, tiny_run  # noqa: F401  (fixtures)
from test_bad_input import BAD_FILES, IMG, SCRIPT

from spamcore.runs import jobs
from spamcore.runs.store import list_runs, read_run

HTML_TEXTS = [SCRIPT, IMG, '"><svg onload=alert(1)>', "**bold** [x](javascript:alert(1))"]


def rendered_markdown(at) -> str:
    """Everything the page renders as Markdown (where HTML or links could come alive)."""
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                                  "subheader") for e in at.get(kind)]
    return "\n".join(parts)


@pytest.fixture()
def classify(app_env, tiny_run, monkeypatch):
    monkeypatch.setenv("SPAMCORE_RUNS", str(tiny_run))
    return open_page("views/classify.py")


# ------------------------------------------------------------------------------------------------ Classify


@pytest.mark.parametrize("text", ["", " ", "\n\n\t  ", "\u3000\u2003"])
def test_an_empty_or_blank_message_shows_no_verdict_and_no_error(classify, text):
    classify.text_area(key="classify_text").input(text).run()
    assert not classify.exception and not classify.error
    assert not [m for m in texts(classify.markdown) if m.startswith("## Verdict")]


def test_a_100k_character_message_is_cut_and_the_page_says_so(classify):
    box = classify.text_area(key="classify_text")
    long = "free prize call now " * 5_000  # 100,000 characters
    assert box.input(long).value == ""  # like the browser, the box refuses more than its 20,000 characters...
    box.set_value(long).run()  # ...and so does the server when a client sends more anyway
    assert not classify.exception and not classify.error
    assert [m for m in texts(classify.markdown) if m.startswith("## Verdict")]
    assert any("(20,000 characters; longer pastes are cut to 20,000)" in c and "only its beginning was read" in c
               for c in texts(classify.caption))


@pytest.mark.parametrize("text", HTML_TEXTS)
def test_html_and_js_in_a_message_stay_text(classify, text):
    classify.text_area(key="classify_text").input(text).run()
    classify.toggle(key="why_show").set_value(True).run()  # the why view draws the message's words too
    assert not classify.exception and not classify.error
    assert [m for m in texts(classify.markdown) if m.startswith("## Verdict:")]
    assert text not in rendered_markdown(classify)  # never handed to Markdown

    classify.text_area(key="bulk_text").input(f"{text}\nsee you at home").run()
    classify.button(key="bulk_go").click().run()
    assert not classify.exception and not classify.error
    assert classify.dataframe[-1].value["message"].tolist() == [text, "see you at home"]  # [0]: why this verdict


@pytest.mark.parametrize("raw, message", [p for p in BAD_FILES if p.id in
                                          ("empty", "whitespace-only", "png-image", "zip", "executable",
                                           "utf16-without-bom", "open-quote")])
def test_a_bad_bulk_upload_is_an_error(classify, raw, message):
    classify.file_uploader(key="bulk_upload").set_value(("upload.csv", raw, "text/csv"))
    classify.button(key="bulk_go").click().run()
    assert not classify.exception
    assert "upload.csv" in classify.error[0].value


def test_a_bulk_upload_above_the_limit_is_refused(classify):
    row = b"a message of about thirty bytes\n"
    big = b"text\n" + row * (22 * 2**20 // len(row))  # 22 MB
    classify.file_uploader(key="bulk_upload").set_value(("big.csv", big, "text/csv"))
    classify.button(key="bulk_go").click().run()
    assert not classify.exception
    assert "big.csv: 22 MB is more than the app's 20 MB upload limit" in classify.error[0].value


# ------------------------------------------------------------------------------------------------ Data


@pytest.mark.parametrize("raw, message", [p for p in BAD_FILES if p.id in (  # test_bad_input.py covers them all
    "empty", "only-a-header", "png-image", "zip", "utf16-without-bom", "wrong-delimiter", "unknown-label",
    "single-class", "missing-text-cell", "unquoted-delimiter")])
def test_a_bad_data_upload_is_an_error_naming_the_problem(app_env, raw, message):
    at = open_page("views/data.py")
    at.radio(key="data_source").set_value("Upload a CSV/TSV").run()
    at.file_uploader(key="data_upload").set_value(("upload.csv", raw, "text/csv")).run()
    assert not at.exception
    assert message in at.error[0].value and "upload.csv" in at.error[0].value


def test_a_data_upload_above_the_limit_is_refused(app_env):
    at = open_page("views/data.py")
    at.radio(key="data_source").set_value("Upload a CSV/TSV").run()
    row = b"ham,a message of about thirty bytes\n"
    big = b"label,text\n" + row * (50 * 2**20 // len(row))  # 50 MB
    at.file_uploader(key="data_upload").set_value(("class.csv", big, "text/csv")).run()
    assert not at.exception
    assert "class.csv: 50 MB is more than the app's 20 MB upload limit" in at.error[0].value
    assert "spamcore train --data FILE" in at.error[0].value


def test_an_html_file_name_and_label_are_shown_as_text(app_env):
    at = open_page("views/data.py")
    at.radio(key="data_source").set_value("Upload a CSV/TSV").run()
    raw = b"label,text\nham,hi\n" + IMG.encode() + b",win\n"
    at.file_uploader(key="data_upload").set_value((f"{SCRIPT}.csv", raw, "text/csv")).run()
    assert not at.exception
    assert "unknown label" in at.error[0].value  # shown by st.error, whose Markdown escapes HTML


@pytest.mark.parametrize("text", [*HTML_TEXTS, "🎉 \u202eevil\u202c fr\u200bee \x07"])
def test_the_tokenization_explorer_shows_odd_text_as_tokens(app_env, text):
    at = open_page("views/data.py")
    at.text_input(key="tok_text").input(text).run()
    assert not at.exception and not at.error
    assert any("[CLS]" in c.value for c in at.code)
    assert text not in rendered_markdown(at)


# ------------------------------------------------------------------------------------------------ Train


def start(at, **settings):
    for key, value in settings.items():
        widget = at.text_input(key=f"train_{key}") if key in ("model", "run_name") else at.number_input(
            key=f"train_{key}")
        widget.set_value(value)
    at.button(key="train_start").click().run()
    return at


@pytest.mark.parametrize("key, value, bound", [("epochs", 0, 1), ("epochs", 10_000, 1000), ("batch_size", 0, 1),
                                               ("lr", -0.001, 1e-7), ("max_length", 100_000, 512)])
def test_out_of_range_numbers_never_reach_the_core(app_env, key, value, bound):
    at = open_page("views/train.py")
    at.number_input(key=f"train_{key}").set_value(value).run()
    assert not at.exception
    widget = at.number_input(key=f"train_{key}")
    assert widget.min <= widget.value <= widget.max and bound in (widget.min, widget.max)


@pytest.mark.parametrize("settings, message", [
    (dict(max_rows=5), "max_rows must be between 20"),
    (dict(run_name="../escape"), "is not allowed"),
    (dict(run_name="/etc/passwd"), "is not allowed"),
    (dict(model="   "), "model must be a Hugging Face id or a local directory"),
])
def test_bad_settings_are_an_immediate_error(app_env, settings, message):
    at = start(open_page("views/train.py"), **settings)
    assert not at.exception
    assert message in at.error[0].value
    assert jobs.get_manager().jobs() == []
    assert list_runs(app_env / "runs") == [] and not (app_env / "runs").exists()


@pytest.mark.parametrize("model, max_length, message", [
    ("{tiny}", 200, "max_length 200 is above this model's limit of 128 tokens"),
    ("no-such-org/no-such-model-xyz", 16, "not in the Hugging Face cache"),
    ("{tmp}", 16, "is not a model folder"),
    ("/no/such/model", 16, "does not exist"),
])
def test_a_model_that_cannot_train_fails_clearly_and_leaves_no_run(app_env, tiny_model_dir, model, max_length,
                                                                   message):
    at = open_page("views/train.py")
    at.radio(key="train_recipe").set_value("finetune").run()
    start(at, model=model.format(tiny=tiny_model_dir, tmp=app_env), max_length=max_length, run_name="doomed")
    assert not at.exception
    assert message in at.error[0].value  # refused when Start is pressed, before a trainer is launched
    assert jobs.get_manager().get("doomed") is None
    assert not (app_env / "runs" / "doomed").exists()


def test_a_row_limit_above_the_data_trains_on_all_rows_and_says_so(app_env, tiny_model_dir):
    at = open_page("views/train.py")  # the frozen recipe: the row limit is the recipe's business alike, and it is quick
    start(at, model=str(tiny_model_dir), epochs=1, max_length=16, batch_size=8, max_rows=100_000, run_name="all")
    assert not at.exception and not at.error
    assert "Row limit 100,000 is not below the 80 messages of this data: training on all of them." in texts(at.info)
    job = jobs.get_manager().get("all")
    assert job.wait(180)
    assert read_run(job.run_dir).meta["data"]["rows"] == 80


def test_a_second_start_while_a_job_runs_is_refused_naming_the_job(app_env, tiny_model_dir):
    second = open_page("views/train.py")  # opened before the first training started: Start is enabled
    first = open_page("views/train.py")
    first.radio(key="train_recipe").set_value("finetune").run()
    start(first, model=str(tiny_model_dir), epochs=500, batch_size=4, max_length=16, run_name="first-class")
    assert not first.error
    try:
        second.button(key="train_start").click().run()  # the click reaches a server that is now busy
        assert not second.exception
        refusal = second.warning[0].value
        assert "Start is off while a training runs" in refusal and "run 'first-class'" in refusal
        assert "finetune recipe" in refusal and second.button(key="train_start").disabled
        assert [job.run_name for job in jobs.get_manager().jobs()] == ["first-class"]  # no second job started
        # A fresh page (another user, a reload) shows the running job and a disabled Start.
        third = open_page("views/train.py")
        assert third.button(key="train_start").disabled and "Run first-class" in texts(third.subheader)
        assert "run 'first-class'" in third.warning[0].value
    finally:
        jobs.get_manager().get("first-class").stop()
    assert jobs.get_manager().get("first-class").wait(180)


def test_the_busy_refusal_reaches_the_quick_run_too(app_env, tiny_model_dir):
    busy = jobs.get_manager().start(tiny_config(tiny_model_dir, epochs=500, batch_size=4), messages_frame(4),
                                    "hand-written", run_name="someone-else")
    try:
        at = open_page("views/classify.py")
        at.button(key="quick_run").click().run()
        assert "Training is busy" in at.error[0].value and "someone-else" in at.error[0].value
        assert len(jobs.get_manager().jobs()) == 1
    finally:
        busy.stop()
    assert busy.wait(180)
