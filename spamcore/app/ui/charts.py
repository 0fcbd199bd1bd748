"""Drawing :mod:`spamcore.figures` in Streamlit: one look for every chart, clicks where a view needs them, and
the verdict badge in the class colours."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

#: Streamlit's named colours of the same hue as :data:`spamcore.figures.CLASS_COLORS`.
CLASS_BADGES = {"ham": "blue", "spam": "orange"}


def show(fig: go.Figure, key: str) -> None:
    """Draw a figure with its own fonts and colours (not the Streamlit theme's), without the mode bar."""
    st.plotly_chart(fig, key=key, theme=None, config={"displayModeBar": False})


def show_selectable(fig: go.Figure, key: str, on_select) -> None:
    """:func:`show`, with clicks on points reported to ``on_select`` (the event is in ``st.session_state[key]``)."""
    st.plotly_chart(fig, key=key, theme=None, config={"displayModeBar": False}, on_select=on_select,
                    selection_mode="points")


def verdict_markdown(label: str) -> str:
    """Markdown for a class label in bold, in its colour, e.g. ``:orange[**SPAM**]`` (labels are ours, never user
    text)."""
    return f":{CLASS_BADGES[label]}[**{label.upper()}**]"
