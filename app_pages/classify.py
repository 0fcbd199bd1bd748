"""Classify: one message → verdict, spam probability and why (each word's push towards spam or ham); many
messages → table and CSV download."""

import pandas as pd
import streamlit as st

from spamcore import figures
from spamcore.bulk import predictions_frame, read_texts, split_lines, to_csv_bytes
from spamcore.config import recipe_defaults
from spamcore.errors import SpamcoreError
from spamcore.teaching.explain import METHODS
from spamcore.teaching.indicators import find_indicators
from ui import charts, highlight, state

st.title("Classify")
run = state.selected_run()
if run is None:
    st.info("No trained run yet. Start a quick **frozen** run on the built-in data (about a minute); you can "
            "watch it on the Train page.", icon=":material/info:")
    if st.button("Quick frozen run", key="quick_run", type="primary", icon=":material/bolt:"):
        try:
            state.start_job(recipe_defaults("frozen"), state.builtin_dataset())
        except SpamcoreError as err:
            state.show_error(err)
        else:
            st.switch_page("app_pages/train.py")
    st.stop()

try:
    classifier = state.run_classifier(run)
except SpamcoreError as err:
    state.show_error(err)
    st.stop()
st.caption(f"Run {run.name} · {run.config.recipe} · test accuracy {run.metrics['accuracy']:.1%} · spam threshold "
           f"{classifier.threshold:.2f} (choose it on Evaluate)")

def careful_reader(text: str) -> None:
    """Links, phone numbers, short codes and money amounts in the message: what a person should look at."""
    found = find_indicators(text)
    st.markdown("**What a careful reader would check** (found by simple patterns; the model does not use them)")
    if not found:
        st.caption("No links, phone numbers, short codes or money amounts in this message.")
        return
    st.dataframe(pd.DataFrame({"what": [i.kind for i in found], "found": [i.text for i in found]}),
                 hide_index=True, key="classify_indicators")


single, bulk = st.tabs(["One message", "Many messages"])
with single:
    text = st.text_area("Message", key="classify_text", height=110, max_chars=20_000,
                        placeholder="Paste or type an SMS, then press Ctrl+Enter")
    if text.strip():
        try:
            prediction = classifier.predict([text])[0]
        except SpamcoreError as err:
            state.show_error(err)
        else:
            st.markdown(f"## Verdict: {charts.verdict_markdown(prediction.label)}")
            charts.show(figures.spam_probability_bar(prediction.spam_probability, classifier.threshold),
                        key="chart_probability")
            if prediction.truncated:
                cut = "; longer pastes are cut to 20,000" if len(text) >= 20_000 else ""
                st.caption(f"The message ({len(text):,} characters{cut}) is longer than max length "
                           f"{run.config.max_length} tokens; only its beginning was read.")
            careful_reader(text)
            st.subheader("Why this verdict?")
            method = st.radio("Method", METHODS, key="why_method", horizontal=True,
                              format_func=lambda m: {"occlusion": "occlusion (remove one word at a time)",
                                                     "integrated_gradients": "integrated gradients"}[m],
                              help="Occlusion: how much the spam probability drops when the word is removed. "
                                   "Integrated gradients (Sundararajan et al. 2017): the word's share of the "
                                   "change from an empty message to this one.")
            try:
                why = state.explanation(run, text, method)
            except SpamcoreError as err:
                state.show_error(err)
            else:
                highlight.show_explanation(why, key="why_table")

with bulk:
    pasted = st.text_area("Messages, one per line", key="bulk_text", height=150)
    upload = st.file_uploader("…or a file: CSV/TSV with a `text` column, or one message per line",
                              type=["csv", "tsv", "txt"], key="bulk_upload")
    if st.button("Classify all", key="bulk_go", icon=":material/playlist_add_check:"):
        try:
            texts = read_texts(state.check_upload(upload), upload.name) if upload is not None else split_lines(pasted)
            if not texts:
                raise SpamcoreError("nothing to classify: paste messages (one per line) or upload a file")
            st.session_state["bulk_result"] = predictions_frame(classifier.predict(texts))
        except SpamcoreError as err:
            state.show_error(err)
    result = st.session_state.get("bulk_result")
    if result is not None:
        spam_count = int((result["verdict"] == "spam").sum())
        st.caption(f"{len(result):,} messages: {spam_count:,} spam, {len(result) - spam_count:,} ham")
        st.dataframe(result, hide_index=True, width="stretch", key="bulk_table",
                     column_config={"spam_probability": st.column_config.ProgressColumn(
                         "spam probability", min_value=0.0, max_value=1.0, format="%.3f"),
                         "message": st.column_config.TextColumn("message", width="large")})
        st.download_button("Download as CSV", to_csv_bytes(result), file_name="spamcore-verdicts.csv",
                           mime="text/csv", key="bulk_download", icon=":material/download:")
