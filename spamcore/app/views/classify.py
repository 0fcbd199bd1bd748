"""Classify: one message → verdict, spam probability and why (each word's push towards spam or ham); many
messages → table and CSV download."""

import pandas as pd
import streamlit as st

from spamcore.app import paths
from spamcore.app.ui import charts, classroom, data_choice, highlight, jobs, resources, roles, state
from spamcore.data.message_io import predictions_frame, read_texts, split_lines, to_csv_bytes
from spamcore.errors import SpamcoreError
from spamcore.model.config import recipe_defaults
from spamcore.teaching.explain import METHODS
from spamcore.teaching.indicators import find_indicators


def quick_run_offer() -> None:
    """No run yet: offer a quick frozen run on the built-in data (to the teacher: it starts a training)."""
    if not roles.is_teacher():
        st.info("No model to classify with yet: the teacher has not trained one.", icon=":material/info:")
        return
    st.info("No trained run yet. Start a quick **frozen** run on the built-in data (about a minute); you can "
            "watch it on the Train page.", icon=":material/info:")
    if st.button("Quick frozen run", key="quick_run", type="primary", icon=":material/bolt:"):
        try:
            jobs.start_job(recipe_defaults("frozen"), data_choice.builtin_dataset())
        except SpamcoreError as err:
            state.show_error(err)
        else:
            st.switch_page(paths.view("train"))


def careful_reader(text: str) -> None:
    """Links, phone numbers, short codes and money amounts in the message: what a person should look at."""
    found = find_indicators(text)
    st.markdown("**What a careful reader would check** (found by simple patterns; the model does not use them)")
    if not found:
        st.caption("No links, phone numbers, short codes or money amounts in this message.")
        return
    st.dataframe(pd.DataFrame({"what": [i.kind for i in found], "found": [i.text for i in found]}),
                 hide_index=True, key="classify_indicators")


def one_message(run, classifier) -> None:
    text = st.text_area("Message", key="classify_text", height=110, max_chars=20_000,
                        placeholder="Paste or type an SMS, then press Ctrl+Enter")
    if not text.strip():
        return
    try:
        prediction = classifier.predict([text])[0]
    except SpamcoreError as err:
        state.show_error(err)
        return
    if prediction.unsure:
        st.markdown("## Verdict: :gray[**NOT SURE**]")
        st.warning(f"Not sure — check the links and the sender. The spam probability "
                   f"{prediction.spam_probability:.2f} is in this run's “not sure” band "
                   f"({classifier.unsure_band.low:.2f}–{classifier.unsure_band.high:.2f}), where its verdicts are "
                   f"often wrong; it leans {prediction.label}.", icon=":material/help:")
    else:
        st.markdown(f"## Verdict: {charts.verdict_markdown(prediction.label)}")
    charts.show(charts.probability_bar(prediction.spam_probability, classifier.threshold), key="chart_probability")
    if prediction.truncated:
        cut = "; longer pastes are cut to 20,000" if len(text) >= 20_000 else ""
        st.caption(f"The message ({len(text):,} characters{cut}) is longer than max length "
                   f"{run.config.max_length} tokens; only its beginning was read.")
    careful_reader(text)
    report_wrong(run, text, prediction)
    why(run, text)


def report_wrong(run, text: str, prediction) -> None:
    """Anyone may say the verdict was wrong: the message goes to the class store for the teacher to check."""
    with st.expander("Wrong verdict? Report it"):
        truth = st.radio("It truly is", ["spam", "ham"], key="report_truth", horizontal=True)
        if st.button("Report", key="report_send", icon=":material/flag:"):
            try:
                store = classroom.store()
                current = store.current_round() or store.start_round(run.name)
                store.submit(current.id, classroom.session_id(), "report", text, truth, prediction.verdict,
                             prediction.spam_probability, source="report")
            except SpamcoreError as err:
                state.show_error(err)
            else:
                st.success("Thanks: the teacher will check it before the model learns from it.",
                           icon=":material/check:")


def why(run, text: str) -> None:
    """Which words pushed the verdict — only when asked: the verdict never waits for its explanation, which costs
    a pass of the model per word (occlusion) or per step (integrated gradients)."""
    st.subheader("Why this verdict?")
    if not st.toggle("Show which words pushed it", key="why_show",
                     help="Stays on for the next messages once turned on. The verdict above comes first either way."):
        st.caption("Turn this on to see each word's push towards spam or ham (it takes a moment per message).")
        return
    method = st.radio("Method", METHODS, key="why_method", horizontal=True,
                      format_func=lambda m: {"occlusion": "occlusion (remove one word at a time)",
                                             "integrated_gradients": "integrated gradients"}[m],
                      help="Occlusion: how much the spam probability drops when the word is removed. "
                           "Integrated gradients (Sundararajan et al. 2017): the word's share of the "
                           "change from an empty message to this one.")
    try:
        explanation = resources.explanation(run, text, method)
    except SpamcoreError as err:
        state.show_error(err)
    else:
        if explanation.text != text:  # the run's normalisation changed what the model read: show that text
            st.caption("The model read the message after undoing look-alike letters, invisible characters and "
                       "spaced-out letters; the words below are the ones it read.")
        highlight.show_explanation(explanation, key="why_table")


def many_messages(classifier) -> None:
    pasted = st.text_area("Messages, one per line", key="bulk_text", height=150)
    upload = st.file_uploader("…or a file: CSV/TSV with a `text` column, or one message per line",
                              type=["csv", "tsv", "txt"], key="bulk_upload")
    if st.button("Classify all", key="bulk_go", icon=":material/playlist_add_check:"):
        try:
            texts = (read_texts(data_choice.check_upload(upload), upload.name) if upload is not None
                     else split_lines(pasted))
            if not texts:
                raise SpamcoreError("nothing to classify: paste messages (one per line) or upload a file")
            st.session_state["bulk_result"] = predictions_frame(classifier.predict(texts))
        except SpamcoreError as err:
            state.show_error(err)
    result = st.session_state.get("bulk_result")
    if result is None:
        return
    counts = result["verdict"].value_counts()
    st.caption(f"{len(result):,} messages: {counts.get('spam', 0):,} spam, {counts.get('ham', 0):,} ham, "
               f"{counts.get('unsure', 0):,} not sure (check those by hand)")
    st.dataframe(result, hide_index=True, width="stretch", key="bulk_table",
                 column_config={"spam_probability": st.column_config.ProgressColumn(
                     "spam probability", min_value=0.0, max_value=1.0, format="%.3f"),
                     "message": st.column_config.TextColumn("message", width="large")})
    st.download_button("Download as CSV", to_csv_bytes(result), file_name="spamcore-verdicts.csv",
                       mime="text/csv", key="bulk_download", icon=":material/download:")


def page() -> None:
    st.title("Classify")
    run = state.selected_run()
    if run is None:
        quick_run_offer()
        return
    try:
        classifier = resources.verdict_classifier(run)
    except SpamcoreError as err:
        state.show_error(err)
        return
    for note in resources.verdict_notes(run):
        if note.startswith("verdicts come from torch"):
            st.caption(note[:1].upper() + note[1:] + ".")
    who = "The ready model shipped with spamcore (train your own on Train)" if run.is_ready_model else f"Run {run.name}"
    engine = "ONNX Runtime" if classifier.engine == "onnx" else "torch"
    st.caption(f"{who} · {run.model_name} · {run.config.recipe} · test accuracy {run.metrics['accuracy']:.1%} · "
               f"spam threshold {classifier.threshold:.2f}"
               + ("" if run.is_ready_model else " (choose it on Evaluate)") + f" · verdicts by {engine}")
    single, bulk = st.tabs(["One message", "Many messages"])
    with single:
        one_message(run, classifier)
    with bulk:
        many_messages(classifier)


page()
