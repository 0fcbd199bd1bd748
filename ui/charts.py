"""Plotly figures for the app, readable on a projector: titles, axis titles with units, one colour per class.

Builders take plain values (arrays, tables, snapshots) and return figures; they compute nothing about models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

#: One colour per class everywhere in the app (colour-blind safe blue / orange); the badges use Streamlit's
#: named colours of the same hue.
HAM_COLOR = "#1f6fb2"
SPAM_COLOR = "#e8710a"
CLASS_COLORS = {"ham": HAM_COLOR, "spam": SPAM_COLOR}
CLASS_BADGES = {"ham": "blue", "spam": "orange"}
#: Loss curves.
STEP_COLOR = "#9aa5b1"  # raw per-step training loss (faint)
TRAIN_COLOR = "#2f3e4e"  # smoothed / per-epoch training loss
VAL_COLOR = "#c2185b"  # validation loss
MARK_COLOR = "#444444"  # reference lines (max length, threshold)

MAX_POINTS = 400  # per line in the loss chart
FONT_SIZE = 16
TITLE_SIZE = 20


def show(fig: go.Figure, key: str) -> None:
    """Draw a figure with its own fonts and colours (not the Streamlit theme's), without the mode bar."""
    st.plotly_chart(fig, key=key, theme=None, config={"displayModeBar": False})


def verdict_markdown(label: str) -> str:
    """Markdown for a class label in bold, in its colour, e.g. ``:orange[**SPAM**]`` (labels are ours, never user
    text)."""
    return f":{CLASS_BADGES[label]}[**{label.upper()}**]"


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}, "x": 0, "xanchor": "left"},
        # A tiny template (not "plotly_white"): building a figure stays cheap enough to redraw every second.
        template="none", plot_bgcolor="white", paper_bgcolor="white",
        font={"size": FONT_SIZE, "color": "#222222"}, height=height,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        bargap=0.08,
    )
    axes = {"automargin": True, "gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#999999"}
    fig.update_xaxes(title_text=x_title, **axes)
    fig.update_yaxes(title_text=y_title, **axes)
    return fig


def label_balance(summary: pd.DataFrame) -> go.Figure:
    """Bars of messages per class with count and share on each bar (``summary`` from ``label_summary``)."""
    labels = list(summary["label"])
    text = [f"{int(c):,} ({s:.1%})" for c, s in zip(summary["count"], summary["share"], strict=True)]
    fig = go.Figure(go.Bar(
        x=labels, y=summary["count"], text=text, textposition="outside", cliponaxis=False,
        marker_color=[CLASS_COLORS.get(label, MARK_COLOR) for label in labels], showlegend=False,
        hovertemplate="%{x}: %{y:,} messages<extra></extra>",
    ))
    fig.update_yaxes(range=[0, float(summary["count"].max()) * 1.2])
    return _style(fig, "Label balance", "class", "messages (count)")


def length_histogram(
    lengths: np.ndarray, labels: np.ndarray, unit: str, max_length: int | None = None,
    truncated_share: float | None = None,
) -> go.Figure:
    """Overlaid histograms of message length per class, with the max length marked when given."""
    lengths, labels = np.asarray(lengths), np.asarray(labels)
    upper = int(np.percentile(lengths, 99.5)) + 1 if lengths.size else 1
    if max_length is not None:
        upper = max(upper, max_length + 2)
    fig = go.Figure()
    for value, name in ((0, "ham"), (1, "spam")):
        fig.add_trace(go.Histogram(
            x=np.minimum(lengths[labels == value], upper), name=name, marker_color=CLASS_COLORS[name],
            opacity=0.7, xbins={"start": 0, "end": upper + 1, "size": max(1, upper // 60)},
            hovertemplate=f"{name}: %{{y}} messages of %{{x}} {unit}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay")
    if max_length is not None:
        share = f" — cuts {truncated_share:.1%} of messages" if truncated_share is not None else ""
        fig.add_vline(x=max_length, line_dash="dash", line_color=MARK_COLOR, line_width=2)
        fig.add_annotation(x=max_length, y=0.97, yref="paper", text=f"max length {max_length}{share}",
                           showarrow=False, xanchor="left", yanchor="top", xshift=6,
                           bgcolor="rgba(255,255,255,0.9)", font={"size": FONT_SIZE - 1})
    return _style(fig, f"Message length in {unit}", f"{unit} per message", "messages (count)")


def loss_chart(
    step_losses: Sequence[float], smoothed: Sequence[float], epochs: Sequence[dict], steps_per_epoch: int,
    total_epochs: int | None = None,
) -> go.Figure:
    """Training loss per step (raw and smoothed) and train/validation loss per epoch, over epochs."""
    fig = go.Figure()
    per_epoch = max(steps_per_epoch, 1)
    if len(step_losses):
        # At most MAX_POINTS points per line: the chart reads the same and redraws fast.
        stride = max(1, -(-len(step_losses) // MAX_POINTS))
        x = (np.arange(1, len(step_losses) + 1) / per_epoch)[::stride]
        fig.add_trace(go.Scatter(x=x, y=np.asarray(step_losses)[::stride], mode="lines",
                                 name="training loss per step", line={"color": STEP_COLOR, "width": 1},
                                 opacity=0.35))
        fig.add_trace(go.Scatter(x=x, y=np.asarray(smoothed)[::stride], mode="lines",
                                 name="training loss (smoothed)", line={"color": TRAIN_COLOR, "width": 3}))
    if epochs:
        ex = [e["epoch"] for e in epochs]
        fig.add_trace(go.Scatter(x=ex, y=[e["train_loss"] for e in epochs], mode="markers+lines",
                                 name="train loss per epoch", line={"color": TRAIN_COLOR, "dash": "dot"},
                                 marker={"size": 10, "symbol": "circle"}))
        fig.add_trace(go.Scatter(x=ex, y=[e["val_loss"] for e in epochs], mode="markers+lines",
                                 name="validation loss per epoch", line={"color": VAL_COLOR, "width": 3},
                                 marker={"size": 11, "symbol": "diamond"}))
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs + 0.2])
    fig = _style(fig, "Loss while training", "epoch", "cross-entropy loss", height=420)
    fig.update_layout(legend={"y": -0.25, "yanchor": "top", "x": 0, "xanchor": "left"},
                      margin={"b": 120})
    return fig


def confusion_heatmap(matrix: Sequence[Sequence[float]], normalised: bool) -> go.Figure:
    """2×2 confusion matrix, rows = true class, columns = predicted; counts or shares of each row."""
    z = np.asarray(matrix, dtype=np.float64)
    text = [[f"{v:.1%}" if normalised else f"{int(v):,}" for v in row] for row in z]
    names = ["ham", "spam"]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"predicted {n}" for n in names], y=[f"true {n}" for n in names], text=text,
        texttemplate="%{text}", textfont={"size": 24}, colorscale="Blues", showscale=False,
        zmin=0, zmax=1 if normalised else None, hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    title = "Confusion matrix — share of each true class" if normalised else "Confusion matrix — messages"
    return _style(fig, title, "predicted class", "true class", height=360)


def spam_probability_bar(probability: float, threshold: float = 0.5) -> go.Figure:
    """One horizontal bar from 0 to the spam probability, coloured by the verdict, with the threshold marked."""
    color = SPAM_COLOR if probability >= threshold else HAM_COLOR
    fig = go.Figure(go.Bar(
        x=[probability], y=["spam probability"], orientation="h", marker_color=color,
        text=[f"{probability:.1%}"], textposition="outside", cliponaxis=False, showlegend=False,
        hovertemplate="spam probability %{x:.3f}<extra></extra>",
    ))
    fig.add_vline(x=threshold, line_dash="dash", line_color=MARK_COLOR, line_width=2)
    fig.add_annotation(x=threshold, y=1.0, yref="paper", text=f"threshold {threshold:.0%}", showarrow=False,
                       yanchor="bottom", font={"size": FONT_SIZE - 2})
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1.0])
    fig.update_yaxes(showticklabels=False)
    return _style(fig, "Spam probability", "probability that the message is spam (%)", "", height=190)
