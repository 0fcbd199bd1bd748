"""Evaluate: the selected run's test-set scores, confusion matrix, loss curves and mistakes."""

import pandas as pd
import streamlit as st

from spamcore.errors import SpamcoreError
from spamcore.metrics import report_table
from spamcore.report import loss_curves, row_normalised, smooth, smoothing_weight, wrong_predictions
from ui import charts, state

st.title("Evaluate")
run = state.selected_run()
if run is None:
    st.info("No finished run yet. Train one on the **Train** page (or use the quick run on **Classify**); "
            "finished runs appear in the sidebar.", icon=":material/info:")
    st.stop()

metrics = run.metrics
config = run.config
st.caption(f"Run {run.name} · {config.recipe} recipe · {state.model_label(config.model)} · "
           f"data {run.meta['data']['name']} · status {run.status}")
spam = metrics["classes"]["spam"]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Test accuracy", f"{metrics['accuracy']:.1%}")
m2.metric("Spam F1", f"{spam['f1']:.3f}")
m3.metric("Spam recall (spam caught)", f"{spam['recall']:.1%}")
m4.metric("Test messages", f"{metrics['n']:,}")

st.subheader("Classification report (test set)")
table = pd.DataFrame(report_table(metrics)).rename(columns={"f1": "F1"})
st.dataframe(table, hide_index=True, width="stretch", key="eval_report",
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("precision", "recall", "F1")})
st.caption("Precision: of the messages called spam, the share that is spam. Recall: of the spam, the share "
           "caught. F1: their harmonic mean. Support: test messages of that class.")

counts, shares = st.columns(2, gap="large")
with counts:
    charts.show(charts.confusion_heatmap(metrics["confusion_matrix"], normalised=False), key="chart_cm")
with shares:
    charts.show(charts.confusion_heatmap(row_normalised(metrics["confusion_matrix"]), normalised=True),
                key="chart_cm_norm")

losses, epochs, steps_per_epoch = loss_curves(run)
charts.show(charts.loss_chart(losses, smooth(losses, smoothing_weight(steps_per_epoch)), epochs,
                                  steps_per_epoch, config.epochs), key="chart_eval_loss")

st.subheader("Test messages it got wrong")
try:
    wrong = wrong_predictions(run.path)
except SpamcoreError as err:
    state.show_error(err)
    st.stop()
if wrong.empty:
    st.success("No mistakes on the test set.")
else:
    st.caption(f"{len(wrong)} of {metrics['n']} test messages, most confident mistakes first.")
    st.dataframe(wrong, hide_index=True, width="stretch", key="eval_wrong",
                 column_config={"spam probability": st.column_config.ProgressColumn(
                     "spam probability", min_value=0.0, max_value=1.0, format="%.3f"),
                     "message": st.column_config.TextColumn("message", width="large")})
