"""Evaluate's "Outside the test set" section: the robustness suite by category, its misses, shortcut probes.

One screen for the lesson "a high test score is not the same as working on new messages".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts, resources, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures

PROBE_EXAMPLE = "WINNER!! You have won a £1000 prize. Call 09061701461 now to claim, T&Cs apply"


def show(run) -> None:
    st.subheader("Outside the test set: messages written today")
    st.caption("The test split comes from the same 2011 collection as the training split, where spam is long and "
               "full of phone numbers and ham is short. A model can score 0.99 there by reading length and digits. "
               "The robustness suite holds messages written for spamcore — typed spam, today's smishing, and "
               "ham that looks spammy — that no model here trains on.")
    try:
        report = resources.suite_report(run)
    except SpamcoreError as err:
        state.show_error(err)
        return
    groups = {g["group"]: g for g in report["groups"]}
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Test split: spam F1", f"{run.metrics['classes']['spam']['f1']:.3f}")
    m2.metric("Typed spam: F1", f"{groups['typed']['spam_f1']:.3f}",
              help=f"Short typed spam against everyday ham: spam recall {groups['typed']['spam_recall']:.0%}, "
                   "precision "
                   f"{groups['typed']['spam_precision']:.0%}")
    m3.metric("Smishing: F1", f"{groups['modern']['spam_f1']:.3f}",
              help=f"Today's smishing and scams against transactional ham (codes, reminders, deliveries): spam "
                   f"recall {groups['modern']['spam_recall']:.0%}, precision "
                   f"{groups['modern']['spam_precision']:.0%}")
    m4.metric("Whole suite: spam F1", f"{report['overall']['spam_f1']:.3f}")
    if report.get("band"):
        st.caption(f"Scored by the verdict a user sees: {report['overall']['unsure_share']:.0%} of the suite lands in "
                   "this run's \"not sure\" band, and counts as neither caught (spam) nor passed (ham).")
    charts.show(figures.suite_categories(pd.DataFrame(report["categories"])), key="chart_suite")

    wrong = resources.suite_misses(report)
    if wrong.empty:
        st.success("Every suite message classified right.", icon=":material/check_circle:")
    else:
        st.markdown(f"**Misses: {len(wrong)} of {len(report['messages'])}**, most confident first (a \"not sure\" "
                    "is a miss too)")
        st.dataframe(wrong.assign(label=wrong["label"].map({0: "ham", 1: "spam"})).rename(
            columns={"label": "true label", "text": "message", "spam_probability": "spam probability"}
        )[["true label", *(["verdict"] if "verdict" in wrong else []), "spam probability", "category", "message"]],
            hide_index=True, width="stretch",
            key="eval_suite_misses", column_config={
                "spam probability": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f"),
                "message": st.column_config.TextColumn(width="large")})

    tricks(run)
    intent(run)

    st.markdown("**Shortcut probes:** the same message cut short, without its numbers, in another case. A model "
                "that learned the content barely moves; one that learned length or digits swings.")
    text = st.text_input("Message to probe", PROBE_EXAMPLE, key="eval_probe_text", max_chars=2000)
    if not text.strip():
        st.info("Type a message to probe.")
        return
    try:
        probes = resources.shortcut_probes(run, text)
    except SpamcoreError as err:
        state.show_error(err)
        return
    table = pd.DataFrame([{"change": p.change, "spam probability": p.spam_probability, "message": p.text}
                          for p in probes])
    st.dataframe(table, hide_index=True, width="stretch", key="eval_probes", column_config={
        "spam probability": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f"),
        "message": st.column_config.TextColumn(width="large")})


def tricks(run) -> None:
    """The suite's spam rewritten with the tricks used against filters: the share still caught, per trick."""
    try:
        evasion = resources.evasion_report(run)
    except SpamcoreError as err:
        state.show_error(err)
        return
    st.markdown("**Tricks used against filters:** the suite's spam messages rewritten with spaced-out letters, "
                "swapped or dropped letters (a few, or in most words as real smishing does), look-alike letters from "
                "other scripts, leetspeak, invisible characters, inside a friend's chat, and hand-written "
                "paraphrases. Share of the spam still caught (never trained on); \"not sure\" is not caught.")
    table = pd.DataFrame(evasion["tricks"]).rename(columns={"recall": "spam caught", "n": "messages",
                                                            "share_unsure": "not sure"})
    share_table(table, "trick", "spam caught", "eval_tricks")


def share_table(table: pd.DataFrame, name: str, share: str, key: str) -> None:
    """A table of shares per row (a bar for ``share``, "not sure" as a percentage where the report has it)."""
    columns = [name, "messages", share, *(["not sure"] if "not sure" in table else [])]
    st.dataframe(table[columns], hide_index=True, key=key,
                 column_config={share: st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
                                "not sure": st.column_config.NumberColumn(format="percent")})


def intent(run) -> None:
    """What a message asks, not what it is about: the intent suite by category."""
    try:
        report = resources.intent_report(run)
    except SpamcoreError as err:
        state.show_error(err)
        return
    st.markdown("**What it asks, not what it is about:** messages that *talk about* a scam (a friend's warning, a "
                "bank's \"we will never ask\", \"is this fake?\"), real new numbers and money between family, against "
                "scams that ask for money from a \"new number\" and scams with no link at all (reply with your "
                "details, call us back). Share right per category; hand-written, never trained on.")
    table = pd.DataFrame(report["categories"]).rename(columns={"share_correct": "share right", "n": "messages",
                                                               "share_unsure": "not sure"})
    names = {"ham_about_scams": "ham: messages about scams", "ham_family_new_number": "ham: family, new numbers",
             "scam_money_new_number": "spam: new number, asks for money", "scam_no_link": "spam: no link"}
    table["category"] = table["category"].map(names).fillna(table["category"])
    share_table(table, "category", "share right", "eval_intent")
