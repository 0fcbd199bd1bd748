"""Evaluate's "Honest probabilities" section: the reliability diagram before and after temperature scaling, and
how many test messages fall in the run's "not sure" band and how often they would have been wrong."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts
from spamcore.evaluation import figures
from spamcore.evaluation.calibration import band_around, band_summary, reliability, scale


def show(run, scores: pd.DataFrame) -> None:
    st.subheader("Honest probabilities: calibration and “not sure”")
    labels, probs = scores["label"].to_numpy(), scores["bert"].to_numpy()
    temperature, threshold = run.temperature, run.threshold
    if "calibration" not in run.meta:
        st.info("This run was saved before calibration: its probabilities are the network's own (temperature 1) "
                "and it has no “not sure” band. Train again to get both.", icon=":material/info:")
    before = reliability(labels, scale(probs, 1.0 / temperature), threshold)
    after = reliability(labels, probs, threshold)
    chart, numbers = st.columns([3, 2], gap="large")
    with chart:
        charts.show(figures.reliability_diagram(before, after), key="chart_reliability")
    band = band_around(threshold, run.unsure_half_width)
    summary = band_summary(labels, probs, band, threshold)
    with numbers:
        st.markdown(f"Temperature **{temperature:.2f}**, fitted on the validation split (Guo et al. 2017): each "
                    f"spam logit is divided by it. Expected calibration error on the test split: "
                    f"**{before.ece:.3f} → {after.ece:.3f}**. No verdict at the threshold changes.")
        if band.width > 0:
            st.markdown(f"“Not sure” band: spam probability **{band.low:.2f} – {band.high:.2f}** (chosen on the "
                        f"validation split). On the test split **{summary['unsure']:,}** of {summary['messages']:,} "
                        f"messages ({summary['unsure_share']:.1%}) fall in it; the verdict would have been wrong "
                        f"for **{summary['error_rate_inside']:.0%}** of them, against "
                        f"**{summary['error_rate_outside']:.1%}** outside it.")
        else:
            st.markdown("No “not sure” band: on the validation split every verdict was already sure enough.")
    st.caption("A point on the dotted diagonal means the model is right as often as it says. Below it: "
               "over-confident; above it: under-confident (a class-weighted loss does that). Bigger points hold more "
               "messages.")
