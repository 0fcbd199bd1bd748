"""Plotly figures for the app and the HTML report, readable on a projector: titles, axis titles with units, one
colour per class.

Builders take plain values (arrays, tables, snapshots) and return figures; they compute nothing about models and
need no Streamlit (``ui/charts.py`` draws them in the app).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: One colour per class everywhere (colour-blind safe blue / orange).
HAM_COLOR = "#1f6fb2"
SPAM_COLOR = "#e8710a"
CLASS_COLORS = {"ham": HAM_COLOR, "spam": SPAM_COLOR}
#: Loss curves.
STEP_COLOR = "#9aa5b1"  # raw per-step training loss (faint)
TRAIN_COLOR = "#2f3e4e"  # smoothed / per-epoch training loss
VAL_COLOR = "#c2185b"  # validation loss
MARK_COLOR = "#444444"  # reference lines (max length, threshold)

MAX_POINTS = 400  # per line in the loss chart
FONT_SIZE = 16
TITLE_SIZE = 20


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
        # The axis ends at the last epoch; markers there are drawn whole (cliponaxis off) rather than padding it.
        fig.update_xaxes(range=[0, total_epochs])
        fig.update_traces(cliponaxis=False)
    fig = _style(fig, "Loss while training", "epoch", "cross-entropy loss", height=420)
    fig.update_layout(legend={"y": -0.25, "yanchor": "top", "x": 0, "xanchor": "left"},
                      margin={"b": 120})
    return fig


def confusion_heatmap(matrix: Sequence[Sequence[float]], normalised: bool, clickable: bool = False) -> go.Figure:
    """2×2 confusion matrix, rows = true class, columns = predicted; counts or shares of each row.

    ``clickable`` lays an invisible square marker over each cell (Plotly heatmaps report no clicks to Streamlit;
    scatter points do), whose ``customdata`` is ``[true class, predicted class]``.
    """
    z = np.asarray(matrix, dtype=np.float64)
    text = [[f"{v:.1%}" if normalised else f"{int(v):,}" for v in row] for row in z]
    names = ["ham", "spam"]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"predicted {n}" for n in names], y=[f"true {n}" for n in names], text=text,
        texttemplate="%{text}", textfont={"size": 24}, colorscale="Blues", showscale=False,
        zmin=0, zmax=1 if normalised else None, hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
    ))
    if clickable:
        cells = [(t, p) for t in (0, 1) for p in (0, 1)]
        fig.add_trace(go.Scatter(
            x=[f"predicted {names[p]}" for _, p in cells], y=[f"true {names[t]}" for t, _ in cells],
            customdata=[[t, p] for t, p in cells], mode="markers", showlegend=False,
            marker={"size": 90, "symbol": "square", "color": "rgba(0,0,0,0)"},
            text=[text[t][p] for t, p in cells],
            hovertemplate="%{y}, %{x}: %{text}<br>click to list these messages<extra></extra>",
        ))
        fig.update_layout(clickmode="event+select", dragmode=False)
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


# ------------------------------------------------------------------------------------------ teaching views

def _mark_point(fig: go.Figure, x: float, y: float, label: str) -> None:
    fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", name=label,
                             marker={"size": 16, "color": MARK_COLOR, "symbol": "x"},
                             hovertemplate=f"{label}<extra></extra>"))


def pr_chart(recall: Sequence[float], precision: Sequence[float], average_precision: float,
             point: tuple[float, float], threshold: float) -> go.Figure:
    """Precision against recall over every threshold, the chosen threshold marked."""
    fig = go.Figure(go.Scatter(x=recall, y=precision, mode="lines", name="BERT", line={"color": SPAM_COLOR,
                               "width": 3, "shape": "hv"}, hovertemplate="recall %{x:.3f}, precision %{y:.3f}"
                               "<extra></extra>"))
    _mark_point(fig, point[0], point[1], f"threshold {threshold:.2f}")
    fig.update_xaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig = _style(fig, f"Precision–recall (average precision {average_precision:.3f})",
                 "recall: spam caught", "precision: flags that are spam", height=440)
    return _curve_legend(fig)


def roc_chart(fpr: Sequence[float], tpr: Sequence[float], auc: float, point: tuple[float, float],
              threshold: float) -> go.Figure:
    """ROC curve (spam caught against ham wrongly flagged), the chosen threshold marked, chance as a diagonal."""
    fig = go.Figure(go.Scatter(x=fpr, y=tpr, mode="lines", name="BERT", line={"color": SPAM_COLOR, "width": 3},
                               hovertemplate="ham flagged %{x:.3f}, spam caught %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", hoverinfo="skip",
                             line={"color": STEP_COLOR, "dash": "dash"}))
    _mark_point(fig, point[0], point[1], f"threshold {threshold:.2f}")
    fig.update_xaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig = _style(fig, f"ROC curve (AUC {auc:.3f})", "false-positive rate: ham flagged",
                 "true-positive rate: spam caught", height=440)
    return _curve_legend(fig)


def _curve_legend(fig: go.Figure) -> go.Figure:
    """Legend under the plot, so that it never covers the title or the curve."""
    fig.update_layout(legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0, "xanchor": "left"},
                      margin={"b": 110})
    return fig


def mark_epochs(fig: go.Figure, epochs: Sequence[dict], best_epoch: int | None,
                rising_epochs: Sequence[int]) -> go.Figure:
    """Mark the best epoch (lowest validation loss) and the epochs whose validation loss rose on a loss chart."""
    by_epoch = {int(e["epoch"]): float(e["val_loss"]) for e in epochs}
    if best_epoch is not None and best_epoch in by_epoch:
        fig.add_vline(x=best_epoch, line_dash="dash", line_color=VAL_COLOR, line_width=2)
        fig.add_trace(go.Scatter(x=[best_epoch], y=[by_epoch[best_epoch]], mode="markers",
                                 name=f"best epoch {best_epoch} (lowest validation loss)",
                                 marker={"size": 20, "symbol": "star", "color": "#f2c200",
                                         "line": {"color": "#222222", "width": 1.5}}, cliponaxis=False))
    rising = [e for e in rising_epochs if e in by_epoch]
    if rising:
        fig.add_trace(go.Scatter(x=rising, y=[by_epoch[e] for e in rising], mode="markers",
                                 name="validation loss rose", marker={"size": 16, "symbol": "triangle-up",
                                                                      "color": VAL_COLOR,
                                                                      "line": {"color": "white", "width": 1}},
                                 cliponaxis=False))
    # Two more legend entries: more room under the plot, so that the legend clears the axis title.
    fig.update_layout(height=480, legend={"y": -0.3}, margin={"b": 160})
    return fig


def training_curves(step_losses: Sequence[float], epochs: Sequence, steps_per_epoch: int,
                    total_epochs: int | None = None) -> go.Figure:
    """The loss chart every view draws (Train's live panel, Evaluate, the HTML report): raw and smoothed step
    losses, train and validation loss per epoch, the best epoch and the epochs whose validation loss rose.

    ``epochs`` are epoch records as dicts (``history.json``) or :class:`~spamcore.training.loop.EpochRecord` objects.
    """
    from spamcore.evaluation.history import as_dicts, overfitting_signals, smooth, smoothing_weight

    rows = as_dicts(epochs)
    signals = overfitting_signals(rows)
    fig = loss_chart(step_losses, smooth(step_losses, smoothing_weight(steps_per_epoch)), rows, steps_per_epoch,
                     total_epochs)
    return mark_epochs(fig, rows, signals.best_epoch, signals.rising_epochs)


def threshold_curves(
    y_true: Sequence[int], spam_prob: Sequence[float], threshold: float
) -> tuple[go.Figure, go.Figure]:
    """The precision–recall and ROC curves with the operating point at ``threshold`` marked (Evaluate and the HTML
    report). Raises :class:`~spamcore.errors.DataError` when the messages hold one class only."""
    from spamcore.evaluation.thresholds import false_positive_rate, pr_curve, roc_curve, scores_at

    pr, roc = pr_curve(y_true, spam_prob), roc_curve(y_true, spam_prob)
    at = scores_at(y_true, spam_prob, threshold)
    return (pr_chart(pr.recall, pr.precision, pr.average_precision, (at["spam_recall"], at["spam_precision"]),
                     threshold),
            roc_chart(roc.fpr, roc.tpr, roc.auc, (false_positive_rate(at), at["spam_recall"]), threshold))


def overlay_losses(curves: dict[str, Sequence[dict]]) -> go.Figure:
    """Validation (solid) and training (dotted) loss per epoch of several runs, one colour per run."""
    palette = ["#1f6fb2", "#e8710a", "#2a9d3a", "#c2185b", "#6a3d9a", "#8c564b", "#17becf", "#444444"]
    fig = go.Figure()
    for i, (name, epochs) in enumerate(curves.items()):
        color = palette[i % len(palette)]
        x = [e["epoch"] for e in epochs]
        fig.add_trace(go.Scatter(x=x, y=[e["val_loss"] for e in epochs], mode="lines+markers",
                                 name=f"{name} · validation", line={"color": color, "width": 3}))
        fig.add_trace(go.Scatter(x=x, y=[e["train_loss"] for e in epochs], mode="lines+markers",
                                 name=f"{name} · train", line={"color": color, "width": 2, "dash": "dot"},
                                 opacity=0.7))
    fig = _style(fig, "Loss per epoch, run by run", "epoch", "cross-entropy loss", height=440)
    fig.update_layout(legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02, "xanchor": "left"},
                      margin={"r": 40})
    return fig


def id_heatmap(tokens: Sequence[str], rows: dict[str, Sequence[int]], title: str) -> go.Figure:
    """Integer ids per token as a heatmap (one row per kind of id, one column per token), numbers on the cells."""
    names = list(rows)
    z = np.asarray([list(rows[n]) for n in names], dtype=np.float64)
    labels = [f"{i}: {t}" for i, t in enumerate(tokens)]  # unique column names, even for repeated tokens
    # Each row scaled on its own, so the segment ids (0/1) are as visible as the positions (0..n).
    scaled = np.divide(z, z.max(axis=1, keepdims=True), out=np.zeros_like(z), where=z.max(axis=1, keepdims=True) > 0)
    fig = go.Figure(go.Heatmap(
        z=scaled, x=labels, y=names, text=z.astype(int).astype(str), texttemplate="%{text}",
        textfont={"size": 16}, colorscale=[[0, "#eef3f8"], [1, HAM_COLOR]], showscale=False,
        hovertemplate="%{x}<br>%{y}: %{text}<extra></extra>", xgap=2, ygap=2,
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-45)
    return _style(fig, title, "token (position: WordPiece)", "", height=300)


RECIPE_COLORS = {"frozen": "#2a9d3a", "finetune": "#6a3d9a"}


def recipe_scatter(table: pd.DataFrame) -> go.Figure:
    """Runs as points: training time against test spam F1, one colour per recipe, trainable parameters on hover
    (``table`` from :func:`spamcore.runs.run_table`)."""
    fig = go.Figure()
    for recipe, rows in table.groupby("recipe", sort=True):
        fig.add_trace(go.Scatter(
            x=rows["seconds"], y=rows["test spam F1"], mode="markers", name=recipe,
            marker={"size": 16, "color": RECIPE_COLORS.get(recipe, MARK_COLOR), "line": {"color": "white",
                                                                                         "width": 1}},
            customdata=np.stack([rows["run"], rows["trainable parameters"].fillna(0)], axis=1),
            hovertemplate="%{customdata[0]}<br>%{x:.1f} s, spam F1 %{y:.3f}<br>"
                          "%{customdata[1]:,.0f} trainable parameters<extra></extra>",
        ))
    fig.update_yaxes(range=[0, 1.05])
    fig.update_xaxes(rangemode="tozero")
    return _style(fig, "Your runs: training time against test spam F1", "training time (s)", "test spam F1")


def suite_categories(categories: pd.DataFrame) -> go.Figure:
    """Horizontal bars: share of each suite category classified right, coloured by the category's true class."""
    frame = categories.iloc[::-1]  # first category on top
    fig = go.Figure()
    for label in ("spam", "ham"):
        part = frame[frame["label"] == label]
        fig.add_bar(
            y=part["category"], x=part["share_correct"], orientation="h", name=f"{label} messages",
            marker_color=CLASS_COLORS[label],
            text=[f"{c}/{n}" for c, n in zip(part["correct"], part["n"], strict=True)],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{x:.0%} right<extra></extra>",
        )
    fig = _style(fig, "Robustness suite: share classified right, by category", "share right", "",
                 height=max(420, 28 * len(frame) + 120))
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%")
    fig.update_layout(barmode="overlay", margin={"l": 200, "r": 40, "t": 60, "b": 60})
    return fig


def embedding_maps(before: np.ndarray, after: np.ndarray, labels: Sequence[int], wrong: Sequence[bool],
                   hover: Sequence[str], titles: tuple[str, str],
                   typed: tuple[np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """Two scatter maps side by side (before / after training), one colour per true class, mistakes as crosses,
    the typed message as a star. ``hover`` must already be HTML-escaped (Plotly renders some tags in hover text).
    """
    from plotly.subplots import make_subplots

    labels, wrong = np.asarray(labels), np.asarray(wrong, dtype=bool)
    hover = np.asarray(hover, dtype=object)
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    for col, points in ((1, before), (2, after)):
        for value, name in enumerate(("ham", "spam")):
            for mistaken in (False, True):
                keep = (labels == value) & (wrong == mistaken)
                if not keep.any():
                    continue
                fig.add_trace(go.Scatter(
                    x=points[keep, 0], y=points[keep, 1], mode="markers",
                    name=f"{name}, misclassified" if mistaken else name, legendgroup=f"{name}{mistaken}",
                    showlegend=col == 1, customdata=hover[keep],
                    marker={"color": CLASS_COLORS[name], "size": 11 if mistaken else 6,
                            "symbol": "x" if mistaken else "circle", "opacity": 1.0 if mistaken else 0.55,
                            "line": {"width": 1, "color": "#222222"} if mistaken else {"width": 0}},
                    hovertemplate=f"<b>{name}</b>{' (misclassified)' if mistaken else ''}<br>%{{customdata}}"
                                  "<extra></extra>",
                ), row=1, col=col)
        if typed is not None:
            x, y = typed[col - 1]
            fig.add_trace(go.Scatter(
                x=[x], y=[y], mode="markers", name="your sentence", legendgroup="typed", showlegend=col == 1,
                marker={"color": "#111111", "size": 20, "symbol": "star", "line": {"width": 2, "color": "white"}},
                hovertemplate="your sentence<extra></extra>"), row=1, col=col)
    fig = _style(fig, "", "", "", height=520)
    fig.update_layout(title=None, margin={"l": 40, "r": 20, "t": 90, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0})
    fig.update_xaxes(title_text="first principal axis", showticklabels=False)
    fig.update_yaxes(title_text="second principal axis", showticklabels=False)
    return fig


def reliability_diagram(before, after) -> go.Figure:
    """Accuracy against confidence per bin, before and after temperature scaling, with the diagonal a calibrated
    model follows (``before``/``after`` are :class:`~spamcore.evaluation.calibration.Reliability`)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0.5, 1.0], y=[0.5, 1.0], mode="lines", name="calibrated (confidence = accuracy)",
                             line={"color": MARK_COLOR, "dash": "dot", "width": 1.5}, hoverinfo="skip"))
    for rel, name, color, symbol in ((before, "before", STEP_COLOR, "circle"), (after, "after", VAL_COLOR, "diamond")):
        filled = rel.counts > 0
        fig.add_trace(go.Scatter(
            x=rel.confidence[filled], y=rel.accuracy[filled], mode="lines+markers",
            name=f"{name} scaling (ECE {rel.ece:.3f})", line={"color": color, "width": 3},
            marker={"size": 6 + 14 * np.sqrt(rel.counts[filled] / max(rel.counts.max(), 1)), "symbol": symbol},
            customdata=rel.counts[filled],
            hovertemplate="confidence %{x:.3f}<br>accuracy %{y:.3f}<br>%{customdata:,} messages<extra></extra>",
        ))
    fig = _style(fig, "Reliability on the test split", "confidence (probability of the predicted class)",
                 "share right", height=440)
    fig.update_xaxes(range=[0.48, 1.02])
    fig.update_yaxes(range=[0.0, 1.02])
    # The legend below the axis title, not over it.
    fig.update_layout(legend={"y": -0.42, "yanchor": "top", "x": 0, "xanchor": "left"}, margin={"b": 150})
    return fig


def fooled_rate(minutes: Sequence[int], rates: Sequence[float], attempts: Sequence[int]) -> go.Figure:
    """The class board's fooled rate per minute of a round (hover: how many attempts each minute had)."""
    fig = go.Figure(go.Scatter(x=list(minutes), y=list(rates), mode="lines+markers", text=list(attempts),
                               hovertemplate="minute %{x}: %{y:.0%} fooled of %{text} attempts"))
    fig.update_layout(title="Fooled rate per minute", height=260, margin={"l": 40, "r": 10, "t": 40, "b": 30},
                      yaxis={"range": [0, 1], "tickformat": ".0%"}, template="none",
                      xaxis={"title": "minute of the round", "dtick": 1, "rangemode": "tozero"})
    return fig
