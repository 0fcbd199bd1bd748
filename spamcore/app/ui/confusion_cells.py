"""Evaluate: the confusion matrix at the chosen threshold as a way in — click a cell (or pick it) to list its
messages with their spam probability, and click a message to see which words pushed it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts, highlight, resources, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.evaluation.thresholds import CELLS, cell_messages

CHART_KEY = "chart_cm_threshold"
CELL_KEY = "eval_cell"
SHOWN_ROWS = 200


def _clicked() -> None:
    """Chart click → the cell picker (so a click and a pick land in the same place)."""
    event = st.session_state.get(CHART_KEY) or {}
    points = (event.get("selection") or {}).get("points") or []
    data = points[0].get("customdata") if points else None
    if data is not None and tuple(int(v) for v in data) in CELLS:
        st.session_state[CELL_KEY] = CELLS[tuple(int(v) for v in data)]


def matrix(counts: list[list[int]], threshold: float) -> None:
    fig = figures.confusion_heatmap(counts, normalised=False, clickable=True)
    fig.update_layout(title={"text": f"Confusion matrix at threshold {threshold:.2f}"})
    charts.show_selectable(fig, CHART_KEY, _clicked)
    st.caption("Click a cell to list its messages below.")


def messages(run, scores: pd.DataFrame, threshold: float) -> None:
    st.markdown("**The messages behind a cell** (at the threshold above): click a cell of the matrix, or pick it "
                "here; then click a message to see which words pushed it.")
    by_name = {name: cell for cell, name in CELLS.items()}
    name = st.segmented_control("Cell", list(by_name), key=CELL_KEY, label_visibility="collapsed")
    if name is None:
        return
    true_class, predicted = by_name[name]
    table = cell_messages(list(scores["text"]), scores["label"].to_numpy(), scores["bert"].to_numpy(), threshold,
                          true_class, predicted)
    if table.empty:
        st.info(f"No test message is in this cell at threshold {threshold:.2f}.", icon=":material/info:")
        return
    shown = table.head(SHOWN_ROWS).reset_index(drop=True)
    more = f" (the first {SHOWN_ROWS} shown)" if len(table) > SHOWN_ROWS else ""
    st.caption(f"{len(table):,} test messages: {name}{more}, furthest from the threshold first.")
    event = st.dataframe(
        shown[["message", "spam probability"]], hide_index=True, width="stretch", key="eval_cell_table",
        on_select="rerun", selection_mode="single-row",
        column_config={"spam probability": st.column_config.ProgressColumn(
            "spam probability", min_value=0.0, max_value=1.0, format="%.3f"),
            "message": st.column_config.TextColumn("message", width="large")})
    rows = event.selection.rows
    if not rows:
        return
    text = shown["message"][rows[0]]
    st.markdown("**Why?** Which words pushed this message, and how far:")
    try:
        resources.run_classifier(run)
        why = resources.explanation(run, text, "occlusion")
    except SpamcoreError as err:
        state.show_error(err)
    else:
        highlight.show_explanation(why, key="eval_cell_why")
