"""Evaluate: the selected run's test-set scores, confusion matrix, loss curves, spam threshold, calibration and the
"not sure" band, how it does on messages written today, BERT against a TF-IDF baseline, and mistakes."""

import pandas as pd
import streamlit as st

from spamcore.app.ui import calibration, charts, confusion_cells, mistakes, outside_test_set, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.evaluation.baseline import disagreements
from spamcore.evaluation.history import loss_curves
from spamcore.evaluation.metrics import report_table
from spamcore.evaluation.thresholds import confusion_at, scores_at
from spamcore.runs.scores import baseline_comparison, row_normalised, test_scores
from spamcore.runs.store import set_threshold
from spamcore.teaching.indicators import operating_point_words


def header(run) -> None:
    metrics, config = run.metrics, run.config
    st.caption(f"Run {run.name} · {config.recipe} recipe · {run.model_name} · "
               f"data {run.meta['data']['name']} · status {run.status}")
    spam = metrics["classes"]["spam"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Test accuracy", f"{metrics['accuracy']:.1%}")
    m2.metric("Spam F1", f"{spam['f1']:.3f}")
    m3.metric("Spam recall (spam caught)", f"{spam['recall']:.1%}")
    m4.metric("Test messages", f"{metrics['n']:,}")
    if metrics.get("scored_on"):
        scored = metrics["scored_on"]
        st.info(f"This run was stopped, so it was scored on {scored['messages']:,} of its {scored['of']:,} test "
                "messages (a random sample: the split is shuffled) to finish within seconds.", icon=":material/info:")


def report(metrics: dict) -> None:
    st.subheader("Classification report (test set)")
    table = pd.DataFrame(report_table(metrics)).rename(columns={"f1": "F1"})
    st.dataframe(table, hide_index=True, width="stretch", key="eval_report",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("precision", "recall", "F1")})
    st.caption("Precision: of the messages called spam, the share that is spam. Recall: of the spam, the share "
               "caught. F1: their harmonic mean. Support: test messages of that class.")
    counts, shares = st.columns(2, gap="large")
    with counts:
        charts.show(figures.confusion_heatmap(metrics["confusion_matrix"], normalised=False), key="chart_cm")
    with shares:
        charts.show(figures.confusion_heatmap(row_normalised(metrics["confusion_matrix"]), normalised=True),
                    key="chart_cm_norm")


def curves(run) -> None:
    if run.is_ready_model:  # its history stays with the build (docs/ready-model.md has how it was trained)
        st.caption("The ready model was trained before spamcore was packaged: its loss curves are not shipped with "
                   "it. Train a run of your own on **Train** to watch one learn.")
        return
    losses, epochs, steps_per_epoch = loss_curves(run)
    charts.show(figures.training_curves(losses, epochs, steps_per_epoch, run.config.epochs), key="chart_eval_loss")


def threshold_section(run, scores: pd.DataFrame) -> None:
    labels, bert = scores["label"].to_numpy(), scores["bert"].to_numpy()
    st.subheader("Spam threshold")
    st.caption("A message is called spam when its spam probability is at least the threshold. Lower it to catch "
               "more spam (recall up) at the cost of flagging more ham (precision down); raise it for the reverse.")
    if st.session_state.get("eval_threshold_run") != run.name or "eval_threshold" not in st.session_state:
        st.session_state["eval_threshold"] = float(run.threshold)  # start from the run's own threshold
        st.session_state["eval_threshold_run"] = run.name
    threshold = st.slider("Spam threshold", 0.0, 1.0, step=0.01, key="eval_threshold",
                          help=f"This run classifies with threshold {run.threshold:.2f}.")
    at = scores_at(labels, bert, threshold)
    t1, t2, t3, t4 = st.columns(4)
    t1.metric("Accuracy", f"{at['accuracy']:.1%}")
    t2.metric("Spam precision", f"{at['spam_precision']:.1%}")
    t3.metric("Spam recall", f"{at['spam_recall']:.1%}")
    t4.metric("Spam F1", f"{at['spam_f1']:.3f}")
    st.markdown(f"**In people's words:** {operating_point_words(at['fp'], at['tn'], at['tp'], at['fn'])}")
    cm_col, use_col = st.columns([3, 2], gap="large")
    with cm_col:
        confusion_cells.matrix(confusion_at(labels, bert, threshold), threshold)
    with use_col:
        use_threshold(run, threshold)
    confusion_cells.messages(run, scores, threshold)
    try:
        pr_fig, roc_fig = figures.threshold_curves(labels, bert, threshold)
    except SpamcoreError as err:
        st.info(f"No curves: {err}", icon=":material/info:")
        return
    pr_col, roc_col = st.columns(2, gap="large")
    with pr_col:
        charts.show(pr_fig, key="chart_pr")
    with roc_col:
        charts.show(roc_fig, key="chart_roc")


def use_threshold(run, threshold: float) -> None:
    st.markdown(f"**Classify** uses threshold **{run.threshold:.2f}** for this run.")
    if run.is_ready_model:  # part of the package: a run of your own chooses its own
        st.caption("The ready model keeps the threshold it ships with; train a run on **Train** to choose yours.")
        return
    if st.button(f"Use threshold {threshold:.2f} for this run", key="eval_use_threshold", icon=":material/tune:",
                 disabled=abs(threshold - run.threshold) < 1e-9):
        try:
            set_threshold(run.path, threshold)
        except SpamcoreError as err:
            state.show_error(err)
        else:
            st.session_state["eval_threshold_saved"] = f"Saved: Classify now uses threshold {threshold:.2f}."
            st.rerun()
    saved = st.session_state.pop("eval_threshold_saved", None)
    if saved:
        st.success(saved, icon=":material/check_circle:")


def baseline(run, scores: pd.DataFrame) -> None:
    st.subheader("Is BERT worth it? Against a TF-IDF baseline")
    comparison = baseline_comparison(run)
    if comparison is None or scores["baseline"].isna().any():
        st.info("This run has no TF-IDF baseline scores (runs saved before the baseline existed, or data the "
                "baseline could not use).", icon=":material/info:")
        return
    st.caption("The same training and test messages, threshold 0.5 for both. The baseline counts words and word "
               "pairs (TF-IDF) and weighs them with logistic regression; it trains in well under a second.")
    st.dataframe(comparison, hide_index=True, width="stretch", key="eval_baseline",
                 column_config={c: st.column_config.NumberColumn(format="%.3f")
                                for c in ("accuracy", "spam precision", "spam recall", "spam F1")}
                 | {"training time (s)": st.column_config.NumberColumn(format="%.2f")})
    differ = disagreements(list(scores["text"]), scores["label"].to_numpy(), scores["bert"].to_numpy(),
                           scores["baseline"].to_numpy())
    if differ.empty:
        st.success("BERT and the baseline agree on every test message.")
        return
    right = differ["right"].value_counts()
    st.caption(f"They disagree on {len(differ)} of {len(scores)} test messages: BERT is right on "
               f"{int(right.get('BERT', 0))}, the baseline on {int(right.get('TF-IDF', 0))}. "
               "Largest probability gap first.")
    st.dataframe(differ, hide_index=True, width="stretch", key="eval_disagree",
                 column_config={"message": st.column_config.TextColumn("message", width="large")})


def page() -> None:
    st.title("Evaluate")
    run = state.selected_run()
    if run is None:
        st.info("No finished run yet. Train one on the **Train** page (or use the quick run on **Classify**); "
                "finished runs appear in the sidebar.", icon=":material/info:")
        return
    header(run)
    report(run.metrics)
    curves(run)
    try:
        scores = test_scores(run.path)
    except SpamcoreError as err:
        state.show_error(err)
        return
    threshold_section(run, scores)
    calibration.show(run, scores)
    outside_test_set.show(run)
    baseline(run, scores)
    mistakes.show(run)


page()
