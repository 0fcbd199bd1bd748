"""What a run's scores mean, in one place that the app, the CLI and the HTML report all call.

- ``metrics``: the spam rule (``p >= threshold``) and classification reports as JSON-ready dicts;
- ``thresholds``: the same metrics at any threshold, PR and ROC curves, the messages in a confusion cell;
- ``history``: a run's training history (smoothed losses, epoch table, best epoch and overfitting signals);
- ``scores``: a run's saved test scores, its mistakes, BERT beside the TF-IDF baseline;
- ``robustness``: the hand-written suite of messages written today, and shortcut probes;
- ``html_report``: a finished run as one self-contained HTML page.

Everything here is pure pandas/numpy over saved scores, except ``html_report`` (plotly, through
``spamcore.figures``). Nothing here imports Streamlit or the teaching package.
"""
