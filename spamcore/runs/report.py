"""A run as one self-contained HTML file to take home: data summary, loss curves, test report, confusion matrices,
precision–recall and ROC curves, the robustness suite, mistakes, settings and versions, and the data citation.

It opens offline: Plotly's JavaScript is inlined once (so the charts stay interactive), there are no links to
fetch, and every text from a run (messages, names, settings) is HTML-escaped. It is built from the run's files
alone; no model is loaded.
"""

from __future__ import annotations

import dataclasses
import html
import os
import platform
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from spamcore.data.messages import CITATION, LABEL_NAMES
from spamcore.errors import RunError, SpamcoreError
from spamcore.evaluation.history import epoch_table, loss_curves
from spamcore.evaluation.metrics import report_table
from spamcore.runs.scores import baseline_comparison, row_normalised, test_scores, wrong_predictions
from spamcore.runs.store import read_run

MISTAKES_SHOWN = 50
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto;
       max-width: 1100px; padding: 24px 32px 64px; line-height: 1.45; }
h1 { font-size: 2.1rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.4rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .cards { display: flex; gap: 16px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card b { display: block; font-size: 1.6rem; } .card span { color: #555; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 12px 0; font-size: 0.92rem; width: 100%; }
th, td { border: 1px solid #ddd; padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: #f4f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; } .row > div { min-width: 0; }
.note { color: #555; font-size: 0.9rem; } footer { margin-top: 3rem; color: #555; font-size: 0.9rem; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    """An HTML table with every cell escaped; numbers right-aligned with ``digits`` decimals."""
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            if isinstance(value, float):
                cells.append(f'<td class="num">{value:.{digits}f}</td>')
            elif isinstance(value, int) and not isinstance(value, bool):
                cells.append(f'<td class="num">{value:,}</td>')
            else:
                cells.append(f"<td>{_esc(value)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cards(items: Iterable[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{_esc(value)}</b><span>{_esc(label)}</span></div>' for label, value in items) + "</div>"


class _Charts:
    """Figures as HTML divs; Plotly's script goes in once, in the page head."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig) -> str:
        self.count += 1
        return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{self.count}",
                           config={"displaylogo": False, "responsive": True})


def _versions() -> pd.DataFrame:
    from importlib.metadata import PackageNotFoundError, version

    rows = [("python", platform.python_version())]
    for package in ("spamcore", "torch", "transformers", "accelerate", "scikit-learn", "plotly"):
        try:
            rows.append((package, version(package)))
        except PackageNotFoundError:
            rows.append((package, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version (when this report was written)"])


def is_sms_collection(data_name: str) -> bool:
    """Whether a run's data name is the SMS Spam Collection (the built-in file, by path or by the app's name).
    Example: ``is_sms_collection("upload: mine.csv") is False``."""
    return not data_name.startswith("upload:") and ("SMSSpamCollection" in data_name
                                                    or "SMS Spam Collection" in data_name)


def build_report(run_dir: str | os.PathLike[str]) -> str:
    """The report of the finished run in ``run_dir`` as one HTML document (a string)."""
    try:
        import plotly.offline
    except ImportError:
        raise SpamcoreError("the HTML report needs plotly: pip install 'spamcore[app]'") from None
    from spamcore.evaluation import figures

    run = read_run(run_dir)
    if not run.metrics:
        raise RunError(f"{run.path}: the run has no test metrics yet (still training, or it failed)")
    metrics, config, meta = run.metrics, run.config, run.meta
    chart = _Charts()
    parts: list[str] = []
    add = parts.append

    spam = metrics["classes"]["spam"]
    add(f"<h1>spamcore run {_esc(run.name)}</h1>")
    add(f'<p class="meta">{_esc(config.recipe)} recipe · model {_esc(config.model)} · status {_esc(run.status)} · '
        f"created {_esc(meta.get('created', '?'))} · trained in {float(meta.get('seconds', 0)):.1f} s on "
        f"{_esc(meta.get('device', '?'))}</p>")
    add(_cards([("test accuracy", f"{metrics['accuracy']:.1%}"), ("spam F1", f"{spam['f1']:.3f}"),
                ("spam recall (spam caught)", f"{spam['recall']:.1%}"),
                ("spam precision", f"{spam['precision']:.1%}"), ("test messages", f"{metrics['n']:,}")]))
    if metrics.get("scored_on"):
        scored = metrics["scored_on"]
        add(f'<p class="note">The run was stopped, so it was scored on {scored["messages"]:,} of its '
            f'{scored["of"]:,} test messages.</p>')

    # Data
    data = meta.get("data", {})
    sizes = meta.get("split_sizes", {})
    add("<h2>Data</h2>")
    add(f"<p>{_esc(data.get('name', '?'))}: {int(data.get('rows', 0)):,} messages used "
        f"(sha256 {_esc(str(data.get('sha256', '?'))[:16])}…). Split (stratified, seed {config.seed}): "
        + ", ".join(f"{_esc(k)} {int(v):,}" for k, v in sizes.items()) + ".</p>")
    scores = test_scores(run.path)
    counts = scores["label"].value_counts().reindex([0, 1], fill_value=0)
    add(_table(pd.DataFrame({"class": LABEL_NAMES, "test messages": [int(c) for c in counts],
                             "share": [float(c) / max(1, len(scores)) for c in counts]})))

    # Training
    add("<h2>Training</h2>")
    losses, epochs, steps_per_epoch = loss_curves(run)
    if losses or epochs:
        add(chart(figures.training_curves(losses, epochs, steps_per_epoch, config.epochs)))
    if epochs:
        add(_table(epoch_table(epochs)))
    add(f'<p class="note">Best epoch (lowest validation loss): {_esc(meta.get("best_epoch", "?"))}; the saved '
        "weights are that epoch's.</p>")

    # Test set
    add(f"<h2>Test set (threshold {run.threshold:.2f})</h2>")
    add(_table(pd.DataFrame(report_table(metrics)).rename(columns={"f1": "F1"})))
    matrix = metrics["confusion_matrix"]
    add('<div class="row"><div>' + chart(figures.confusion_heatmap(matrix, normalised=False)) + "</div><div>"
        + chart(figures.confusion_heatmap(row_normalised(matrix), normalised=True)) + "</div></div>")
    labels, bert = scores["label"].to_numpy(), scores["bert"].to_numpy()
    try:
        pr_fig, roc_fig = figures.threshold_curves(labels, bert, run.threshold)
    except SpamcoreError:
        add('<p class="note">No precision–recall or ROC curve: the test split holds one class only.</p>')
    else:
        add(f'<div class="row"><div>{chart(pr_fig)}</div><div>{chart(roc_fig)}</div></div>')
    comparison = baseline_comparison(run)
    if comparison is not None:
        add("<h3>Against a TF-IDF + logistic-regression baseline (same split, threshold 0.5)</h3>")
        add(_table(comparison))

    # Robustness
    robustness = metrics.get("robustness")
    add("<h2>Outside the test set: the robustness suite</h2>")
    if robustness:
        add(f"<p>{len(robustness.get('messages', []))} messages written for spamcore (typed spam, today's smishing, "
            "ham that looks spammy) that no model here trains on.</p>")
        groups = pd.DataFrame(robustness["groups"] + [robustness["overall"]])
        add(_table(groups.rename(columns=lambda c: c.replace("_", " "))))
        add(chart(figures.suite_categories(pd.DataFrame(robustness["categories"]))))
    else:
        add('<p class="note">This run was saved without a robustness-suite score (run '
            "<code>spamcore evaluate RUN --suite</code> to score it).</p>")
    evasion = metrics.get("evasion")
    if evasion:
        add("<h3>Tricks used against filters: the suite's spam rewritten, share still caught</h3>")
        add(_table(pd.DataFrame(evasion["tricks"]).rename(columns={"recall": "spam caught", "n": "messages"})))

    # Mistakes
    wrong = wrong_predictions(run.path, run.threshold)
    add(f"<h2>Test messages it got wrong ({len(wrong)})</h2>")
    if wrong.empty:
        add("<p>None.</p>")
    else:
        shown = f"the {MISTAKES_SHOWN} most confident" if len(wrong) > MISTAKES_SHOWN else "all"
        add(f'<p class="note">Most confident mistakes first ({shown}).</p>')
        add(_table(wrong.head(MISTAKES_SHOWN)))

    # Settings, versions, citation
    add("<h2>Settings</h2>")
    settings = dataclasses.asdict(config)
    add(_table(pd.DataFrame({"setting": list(settings), "value": [str(v) for v in settings.values()]})))
    add("<h2>Versions</h2>")
    add(f"<p>Trained with spamcore {_esc(meta.get('spamcore_version', '?'))}.</p>")
    add(_table(_versions()))
    add("<h2>Data citation</h2>")
    name = str(data.get("name", ""))
    if is_sms_collection(name):
        add(f"<p>{_esc(CITATION)}</p>")
    else:
        add(f"<p>This run's data ({_esc(name)}) is not the SMS Spam Collection; cite it as its owners ask. "
            f"spamcore's built-in data is: {_esc(CITATION)}</p>")
    add('<footer>Written by <code>spamcore report</code>. Charts are interactive (hover, zoom, double-click to '
        "reset) and need no network.</footer>")

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>spamcore run {_esc(run.name)}</title><style>{STYLE}</style>"
            f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_report(run_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write :func:`build_report` to ``out`` (atomically); returns the path."""
    from spamcore.runs.store import atomic_write

    path = Path(out)
    if path.is_dir():
        raise SpamcoreError(f"{path} is a folder; give a file name such as report.html")
    atomic_write(path, build_report(run_dir).encode("utf-8"))
    return path
