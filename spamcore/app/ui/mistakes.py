"""Evaluate's last section: the test messages a run got wrong, and why (word attributions) on request."""

from __future__ import annotations

import streamlit as st

from spamcore.app.ui import highlight, resources, state
from spamcore.errors import SpamcoreError
from spamcore.runs.scores import wrong_predictions


def show(run) -> None:
    st.subheader("Test messages it got wrong")
    try:
        wrong = wrong_predictions(run.path, run.threshold)
    except SpamcoreError as err:
        state.show_error(err)
        return
    if wrong.empty:
        st.success("No mistakes on the test set.")
        return
    st.caption(f"{len(wrong)} of {run.metrics['n']} test messages at this run's threshold {run.threshold:.2f}, "
               "most confident mistakes first.")
    st.dataframe(wrong, hide_index=True, width="stretch", key="eval_wrong",
                 column_config={"spam probability": st.column_config.ProgressColumn(
                     "spam probability", min_value=0.0, max_value=1.0, format="%.3f"),
                     "message": st.column_config.TextColumn("message", width="large")})
    st.markdown("**Why did it get this one wrong?** Pick a mistake to see which words pushed it.")
    options = list(range(min(len(wrong), 50)))
    pick = st.selectbox("Mistake", options, key="eval_why_pick", index=None, placeholder="choose a mistake",
                        format_func=lambda i: f"{i + 1}. {wrong['message'][i][:90]} (true {wrong['true label'][i]})")
    if pick is None:
        return
    try:
        resources.run_classifier(run)  # loads once; the explanation below reuses it
        why = resources.explanation(run, wrong["message"][pick], "occlusion")
    except SpamcoreError as err:
        state.show_error(err)
    else:
        highlight.show_explanation(why, key="eval_why_table")
