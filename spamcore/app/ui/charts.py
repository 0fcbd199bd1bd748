"""Drawing :mod:`spamcore.evaluation.figures` in Streamlit:
one look for every chart, clicks where a view needs them, and
the verdict badge in the class colours."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

#: Streamlit's named colours of the same hue as :data:`spamcore.evaluation.figures.CLASS_COLORS`.
CLASS_BADGES = {"ham": "blue", "spam": "orange"}


def show(fig: go.Figure, key: str) -> None:
    """Draw a figure with its own fonts and colours (not the Streamlit theme's), without the mode bar."""
    st.plotly_chart(fig, key=key, theme=None, config={"displayModeBar": False})


def show_selectable(fig: go.Figure, key: str, on_select) -> None:
    """:func:`show`, with clicks on points reported to ``on_select`` (the event is in ``st.session_state[key]``)."""
    st.plotly_chart(fig, key=key, theme=None, config={"displayModeBar": False}, on_select=on_select,
                    selection_mode="points")


def probability_bar(probability: float, threshold: float) -> go.Figure:
    """The verdict's probability bar, built once per probability (to 0.1 %) and threshold: a ``go.Figure`` validates
    every property it is given, which was the largest part of a typed verdict's server CPU on a 2-core laptop without
    bf16 (profiled: more than the model's forward pass). Read-only, shared by sessions."""
    return _probability_bar(round(float(probability), 3), float(threshold))


@st.cache_resource(max_entries=512, show_spinner=False)
def _probability_bar(probability: float, threshold: float) -> go.Figure:
    from spamcore.evaluation import figures

    return figures.spam_probability_bar(probability, threshold)


def verdict_markdown(label: str) -> str:
    """Markdown for a class label in bold, in its colour, e.g. ``:orange[**SPAM**]`` (labels are ours, never user
    text)."""
    return f":{CLASS_BADGES[label]}[**{label.upper()}**]"
