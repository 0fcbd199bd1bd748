"""The teaching views under AppTest: threshold and baseline on Evaluate, "why this verdict" on Classify,
best epoch and early stopping on Train, the Runs page and the "How BERT learns" page.

Tiny random BERT and hand-written messages only; each test copies the session's tiny run into its own runs folder,
so choosing a threshold or deleting a run never touches the shared one.
"""

# ruff: noqa: F811  (the fixtures app_env and tiny_run are imported from test_app, then used as arguments)
from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from test_app import app_env, open_page, texts, tiny_run  # noqa: F401  (fixtures)
from test_bad_input import IMG, SCRIPT

from spamcore.runs import jobs
from spamcore.runs.store import list_runs, read_run


@pytest.fixture()
def runs(app_env, tiny_run):
    """The tiny finetune run, copied twice into this test's runs folder (newest: tiny-b)."""
    root = app_env / "runs"
    for name, created in (("tiny-a", "2026-01-01T10:00:00+00:00"), ("tiny-b", "2026-01-02T10:00:00+00:00")):
        shutil.copytree(tiny_run / "tiny-finetune", root / name)
        meta = json.loads((root / name / "run.json").read_text())
        (root / name / "run.json").write_text(json.dumps({**meta, "created": created}))
    return root


def page_html(at) -> list:
    """The page's HTML blocks, less the stylesheet the router adds to every page."""
    return [h for h in at.html if not h.value.lstrip().startswith("<style>")]


def table_with(at, column: str):
    """The first table on the page with ``column`` (read-only tables carry no key in AppTest), else None."""
    return next((d.value for d in at.dataframe if column in d.value.columns), None)


def chart_specs(at) -> list[str]:
    """Each Plotly chart's figure as JSON text, non-ASCII characters as themselves."""
    return [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")]


# ------------------------------------------------------------------------------------------------ Evaluate


def test_evaluate_threshold_moves_the_scores_and_is_saved_for_classify(runs):
    at = open_page("views/evaluate.py")
    assert not at.error
    slider = at.slider(key="eval_threshold")
    assert slider.value == 0.5
    specs = chart_specs(at)
    assert any("Precision–recall" in s for s in specs) and any("ROC curve (AUC" in s for s in specs)
    assert any("Confusion matrix at threshold 0.50" in s for s in specs)
    assert at.button(key="eval_use_threshold").disabled  # already the run's threshold

    slider.set_value(0.99).run()
    assert not at.exception
    assert any("Confusion matrix at threshold 0.99" in s for s in chart_specs(at))
    at.button(key="eval_use_threshold").click().run()
    assert not at.exception and not at.error
    assert read_run(runs / "tiny-b").threshold == 0.99
    assert any("Classify now uses threshold 0.99" in s.value for s in at.success)

    at.switch_page("views/classify.py").run()
    assert any("spam threshold 0.99" in c for c in texts(at.caption)), texts(at.caption)
    at.text_area(key="classify_text").input("WINNER! Claim your free prize now").run()
    assert "threshold 99%" in chart_specs(at)[0]  # the probability bar marks the run's threshold


def test_evaluate_compares_bert_with_the_tfidf_baseline(runs):
    at = open_page("views/evaluate.py")
    table = table_with(at, "training time (s)")
    assert list(table["model"]) == ["BERT (finetune)", "TF-IDF + logistic regression"]
    assert list(table.columns) == ["model", "accuracy", "spam precision", "spam recall", "spam F1",
                                   "training time (s)"]
    assert table["accuracy"].between(0, 1).all()
    # Where they disagree, a table of those messages; where they do not, a note saying so.
    disagree = table_with(at, "right")
    agree = any("agree on every test message" in s.value for s in at.success)
    assert agree or set(disagree["right"]) <= {"BERT", "TF-IDF"}


def test_evaluate_marks_the_best_epoch_on_the_loss_chart(runs):
    at = open_page("views/evaluate.py")
    assert any("best epoch 1 (lowest validation loss)" in s for s in chart_specs(at))


def test_evaluate_lists_the_messages_of_a_confusion_matrix_cell_at_the_threshold(runs):
    from spamcore.evaluation.thresholds import CELLS, cell_messages
    from spamcore.runs.scores import test_scores

    at = open_page("views/evaluate.py")
    assert any('"customdata"' in s and "click to list these messages" in s for s in chart_specs(at))
    scores = test_scores(runs / "tiny-b")
    for (true_class, predicted), name in CELLS.items():
        at.segmented_control(key="eval_cell").set_value(name).run()
        assert not at.exception
        expected = cell_messages(list(scores["text"]), scores["label"], scores["bert"], 0.5, true_class, predicted)
        if expected.empty:
            assert any("No test message is in this cell" in i.value for i in at.info)
            continue
        shown = table_with(at, "spam probability")
        assert list(shown["message"]) == list(expected["message"])
        assert any(f"{len(expected):,} test messages: {name}" in c for c in texts(at.caption))
    # Moving the threshold moves messages between cells.
    at.segmented_control(key="eval_cell").set_value(CELLS[(1, 0)]).run()
    at.slider(key="eval_threshold").set_value(0.0).run()
    assert any("No test message is in this cell" in i.value for i in at.info)  # no spam is missed at 0


# ------------------------------------------------------------------------------------------------ Classify


def test_the_verdict_comes_without_its_explanation_until_asked(runs, monkeypatch):
    import spamcore.teaching.explain as explain_module

    def explain_not_asked(*args, **kwargs):
        raise AssertionError("explained without being asked")

    monkeypatch.setattr(explain_module, "explain", explain_not_asked)
    at = open_page("views/classify.py")
    at.text_area(key="classify_text").input("WINNER! Claim your free prize now").run()
    assert not at.exception and not at.error
    assert any("Verdict:" in m.value for m in at.markdown) and not page_html(at)
    assert at.toggle(key="why_show").value is False


def explained(at, text: str):
    """Type ``text`` on Classify and turn on its explanation."""
    at.text_area(key="classify_text").input(text).run()
    return at.toggle(key="why_show").set_value(True).run()


def test_classify_explains_the_verdict_word_by_word(runs):
    at = open_page("views/classify.py")
    explained(at, "WINNER! Claim your free prize now")
    assert not at.exception and not at.error
    assert "Why this verdict?" in texts(at.subheader)
    highlighted, legend = page_html(at)[0].value, page_html(at)[1].value
    assert "WINNER" in highlighted and "prize" in highlighted and "<span" in highlighted
    assert "towards spam" in legend and "towards ham" in legend
    words = table_with(at, "pushes towards")
    assert set(words["pushes towards"]) <= {"spam", "ham"} and len(words) >= 1

    at.radio(key="why_method").set_value("integrated_gradients").run()
    assert not at.exception and not at.error
    assert "<span" in page_html(at)[0].value and table_with(at, "pushes towards") is not None  # drawn with IG too


@pytest.mark.parametrize("attack", [SCRIPT, IMG, f"win {SCRIPT} now {IMG} free"])
def test_why_view_escapes_html_in_the_message(runs, attack):
    at = open_page("views/classify.py")
    explained(at, attack)
    assert not at.exception and not at.error
    shown = page_html(at)[0].value
    assert "<script" not in shown and "<img" not in shown and "&lt;" in shown and "&gt;" in shown
    # Our own tags are the only tags: without them, the escaped text reads back as the message exactly.
    assert html.unescape(re.sub(r"<[^>]*>", "", shown)) == attack


# ------------------------------------------------------------------------------------------------ Train


def test_train_page_has_early_stopping_and_marks_the_best_epoch(app_env, tiny_model_dir):
    at = open_page("views/train.py")
    at.radio(key="train_recipe").set_value("finetune").run()
    at.text_input(key="train_model").input(str(tiny_model_dir))
    at.number_input(key="train_epochs").set_value(3)
    at.number_input(key="train_batch_size").set_value(8)
    at.number_input(key="train_patience").set_value(1)
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    job = jobs.get_manager().jobs()[-1]
    assert job.config.patience == 1
    assert job.wait(180)
    at.run()
    assert not at.exception
    notes = " ".join(texts(at.markdown))
    assert "Best epoch so far:" in notes and "Early stopping after 1 epochs" in notes
    assert any("best epoch" in s for s in chart_specs(at))


# ------------------------------------------------------------------------------------------------ Runs


def test_runs_page_lists_compares_downloads_and_deletes(runs):
    at = open_page("views/runs.py")
    assert texts(at.title) == ["Runs"] and not at.error
    table = table_with(at, "baseline spam F1")
    assert list(table["run"]) == ["tiny-b", "tiny-a"]
    assert at.multiselect(key="runs_compare").value == ["tiny-b", "tiny-a"]
    assert any("Loss per epoch, run by run" in s for s in chart_specs(at))
    assert [len(d.value) for d in at.dataframe] == [2, 2]  # history and comparison
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the run as a zip", "Download the report (HTML)"]
    snippet = at.code[0].value
    assert 'pipeline("text-classification", model=' in snippet and "tiny-b" in snippet

    at.multiselect(key="runs_compare").set_value(["tiny-a"]).run()
    assert any("Pick two or more" in i.value for i in at.info)

    assert at.button(key="runs_delete").disabled  # not before the confirmation
    at.selectbox(key="runs_target").set_value("tiny-a").run()
    at.checkbox(key="runs_confirm").check().run()
    at.button(key="runs_delete").click().run()
    assert not at.exception and not at.error
    assert [r.name for r in list_runs(runs)] == ["tiny-b"]
    assert any("Deleted run tiny-a" in s.value for s in at.success)
    assert at.checkbox(key="runs_confirm").value is False
    assert len(at.selectbox(key="run_select").options) == 1 and at.selectbox(key="run_select").value == "tiny-b"


def test_runs_page_without_runs(app_env):
    at = open_page("views/runs.py")
    assert "No runs yet" in at.info[0].value


# ------------------------------------------------------------------------------------------------ BERT


def bert_mlm(at):
    return at.dataframe[0].value


def test_bert_page_masks_pairs_and_compares_recipes(runs):
    at = open_page("views/bert.py")
    assert texts(at.title) == ["How BERT learns"] and not at.error
    assert any("Devlin" in c for c in texts(at.caption))
    mlm = bert_mlm(at)
    assert list(mlm.index) == ["token in your sentence", "what the model sees", "chosen → action"]
    assert mlm.iloc[0, 0] == "[CLS]" and mlm.iloc[0, -1] == "[SEP]"
    first = mlm.copy()
    at.button(key="bert_reroll").click().run()
    assert at.number_input(key="bert_seed").value == 1
    rolled = [bert_mlm(at)]
    for _ in range(4):  # some seed in five picks other tokens or actions
        at.button(key="bert_reroll").click().run()
        rolled.append(bert_mlm(at))
    assert any(not r.equals(first) for r in rolled)

    pair = at.code[0].value
    assert pair.startswith("[CLS] ") and pair.count("[SEP]") == 2
    assert any("Segment and position ids · NSP label: IsNext" in s for s in chart_specs(at))
    at.radio(key="bert_nsp_label").set_value("NotNext").run()
    assert any("NSP label: NotNext" in s for s in chart_specs(at))
    recipes = table_with(at, "trainable parameters")
    assert set(recipes["run"]) == {"tiny-a", "tiny-b"}
    assert any("training time against test spam F1" in s for s in chart_specs(at))

    at.text_input(key="bert_text").input("   ").run()
    assert "Type a sentence" in at.info[0].value and not at.exception


def test_an_empty_sentence_b_waits_without_hiding_the_sections_below(runs):
    at = open_page("views/bert.py")
    at.text_input(key="bert_second").input("   ").run()
    assert not at.exception
    assert any("Sentence B" in i.value or "sentence" in i.value.lower() for i in at.info)
    assert any("Pre-trained encoder" in s for s in chart_specs(at))  # section 3 is still drawn
    assert table_with(at, "trainable parameters") is not None  # and section 4


def test_bert_page_maps_the_run_before_and_after_and_places_the_sentence(runs):
    at = open_page("views/bert.py")
    assert not at.error
    spec = next(s for s in chart_specs(at) if "Pre-trained encoder" in s)
    assert "Run tiny-b" in spec and "your sentence" in spec and '"symbol": "star"' in spec
    labels = [m.label for m in at.metric]
    assert "Nearer their own class, before" in labels and "Nearer their own class, after" in labels
    assert any("nearer their own class before and" in m.value for m in at.markdown)
    # The hover text is the message, escaped: a message with markup cannot add elements to the chart.
    at.text_input(key="bert_text").input(f"{SCRIPT} claim now").run()
    assert not at.exception and "<script" not in next(s for s in chart_specs(at) if "Pre-trained encoder" in s)


def test_bert_page_trains_a_masked_word_head_and_shows_its_guesses(runs, tmp_path, monkeypatch):
    import time

    from spamcore.teaching.masked import head_file

    monkeypatch.setenv("SPAMCORE_CACHE", str(tmp_path / "cache"))
    at = open_page("views/bert.py")
    assert any("was saved without its masked-word head" in i.value for i in at.info)
    assert any("has no next-sentence head" in c for c in texts(at.caption))
    assert table_with(at, "guess 1") is None  # an untrained head's guesses are never shown
    at.button(key="bert_train_head").click().run()
    assert not at.exception and not at.error
    model = read_run(runs / "tiny-b").config.model
    path = head_file(model, tmp_path / "cache" / "mlm")
    deadline = time.monotonic() + 120
    while not path.is_file() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1.0)  # the process ends just after it writes the file
    at.run()
    guesses = table_with(at, "guess 1")
    assert guesses is not None and list(guesses.columns[-6:]) == [*(f"guess {i}" for i in range(1, 6)), "right?"]
    assert set(guesses["right?"]) <= {"top 1", "top 5", "no"}
    assert any("A head trained here" in c and "commonest tokens" in c for c in texts(at.caption))


def test_bert_page_teaches_with_the_bundled_model_when_the_runs_model_is_gone(runs):
    meta = json.loads((runs / "tiny-b" / "run.json").read_text())
    meta["config"]["model"] = "/nonexistent/model-folder"
    (runs / "tiny-b" / "run.json").write_text(json.dumps(meta))
    at = open_page("views/bert.py")
    assert not at.exception
    assert any("uses the bundled MiniLM" in i.value for i in at.info)
    assert bert_mlm(at).iloc[0, 0] == "[CLS]"  # the page goes on with the bundled tokenizer
    assert any("does not exist" in e.value for e in at.error)  # the map needs the run's pre-trained encoder


# ------------------------------------------------------------------------------------- helpers, no Streamlit


def test_highlight_html_escapes_every_piece_and_colours_by_sign():
    from spamcore.app.ui.highlight import highlight_html

    out = highlight_html([("<b>win</b>", 0.5), (" & ", None), ('"x" onload=1', -0.25)], scale=0.5)
    assert "<b>" not in out and "&lt;b&gt;win&lt;/b&gt;" in out and " &amp; " in out
    assert "&quot;x&quot; onload=1" in out
    assert "rgba(232,113,10,0.90)" in out  # the strongest spam-ward word, full strength
    assert "rgba(31,111,178,0.51)" in out  # a ham-ward word at half the scale
    assert html.unescape(re.sub(r"<[^>]*>", "", out)) == '<b>win</b> & "x" onload=1'


def test_test_scores_and_baseline_comparison_read_a_run(tiny_run):
    from spamcore.runs.scores import baseline_comparison, test_scores

    run = read_run(tiny_run / "tiny-finetune")
    scores = test_scores(run.path)
    assert list(scores.columns) == ["text", "label", "bert", "baseline"]
    assert len(scores) == run.metrics["n"] and scores["baseline"].between(0, 1).all()
    table = baseline_comparison(run)
    assert table["accuracy"].tolist() == [run.metrics["accuracy"], run.metrics["baseline"]["accuracy"]]
    assert table["training time (s)"].tolist() == [run.meta["seconds"], run.metrics["baseline"]["train_seconds"]]


def test_evaluate_explains_a_mistake(runs):
    at = open_page("views/evaluate.py")
    if any("No mistakes" in s.value for s in at.success):
        pytest.skip("the tiny run made no mistakes")
    assert not page_html(at)
    at.selectbox(key="eval_why_pick").select_index(0).run()
    assert not at.exception and not at.error
    assert "<span" in page_html(at)[0].value and "towards spam" in page_html(at)[1].value


def test_evaluate_threshold_starts_from_the_selected_runs_own(runs):
    from spamcore.runs.store import set_threshold

    set_threshold(runs / "tiny-a", 0.3)
    at = open_page("views/evaluate.py")
    assert at.selectbox(key="run_select").value == "tiny-b" and at.slider(key="eval_threshold").value == 0.5
    at.slider(key="eval_threshold").set_value(0.7).run()
    at.selectbox(key="run_select").set_value("tiny-a").run()
    assert not at.exception
    assert at.slider(key="eval_threshold").value == 0.3


def test_classify_lists_what_a_careful_reader_checks_and_evaluate_says_the_operating_point(runs):
    at = open_page("views/classify.py")
    at.text_area(key="classify_text").input("URGENT! Claim £500 at bit.ly/abc or call 09061701461").run()
    assert not at.exception
    table = table_with(at, "found")
    assert table is not None
    assert table["what"].tolist() == ["shortened link", "phone number", "money"]
    assert table["found"].tolist() == ["bit.ly/abc", "09061701461", "£500"]
    at = open_page("views/evaluate.py")
    assert any(m.value.startswith("**In people's words:** Of 1,000 normal messages, about ") for m in at.markdown)
