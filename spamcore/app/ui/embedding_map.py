"""How BERT learns, section 3: the selected run's test messages on the pre-trained encoder's map and on the run's,
side by side, with the page's sentence placed on both."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from spamcore.app.ui import charts, resources, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.evaluation.metrics import predict_labels
from spamcore.runs.scores import test_scores

HOVER_CHARS = 140


def _hover(text: str, probability: float) -> str:
    short = text if len(text) <= HOVER_CHARS else text[: HOVER_CHARS - 1] + "…"
    return f"{html.escape(short)}<br>spam probability {probability:.1%}"


def show(run, sentence: str) -> None:
    st.markdown("Every message becomes one vector of numbers: the summary the classifier reads (the pooled "
                "`[CLS]` output). Below, the test messages' vectors are flattened to two dimensions (PCA: the two "
                "directions in which they differ most) — **left** as the pre-trained encoder writes them, **right** "
                "as the selected run's encoder does. Colour is the true class; crosses are the run's mistakes; the "
                "star is your sentence.")
    if run is None:
        st.info("No finished run yet: train one on the **Train** page to see what training does to the map.",
                icon=":material/info:")
        return
    try:
        scores = test_scores(run.path)
        emap = resources.embedding_map(run)
        typed = resources.place_sentence(run, sentence)
    except (SpamcoreError, ValueError) as err:
        state.show_error(err)
        return
    labels = scores["label"].to_numpy()
    wrong = predict_labels(scores["bert"].to_numpy(), run.threshold) != labels
    hover = [_hover(t, p) for t, p in zip(scores["text"], scores["bert"], strict=True)]
    sep_before, sep_after = emap.separations(labels)
    titles = (f"Pre-trained encoder · axes hold {emap.before_axes.explained.sum():.0%} of the spread",
              f"Run {run.name} · axes hold {emap.after_axes.explained.sum():.0%}")
    charts.show(figures.embedding_maps(emap.before, emap.after, labels, wrong, hover, titles, typed),
                key="chart_bert_map")
    m1, m2, m3 = st.columns(3)
    m1.metric("Nearer their own class, before", f"{sep_before:.0%}")
    change = None if emap.same_encoder else f"{(sep_after - sep_before) * 100:+.0f} points"
    m2.metric("Nearer their own class, after", f"{sep_after:.0%}", delta=change)
    m3.metric("Test messages", f"{len(labels):,}", help=f"{int(np.sum(wrong))} misclassified at threshold "
              f"{run.threshold:.2f}")
    st.caption("Nearer their own class: the share of messages that sit nearer the centre of their own class than "
               "the other's on the map, averaged over ham and spam. 50 % means the two clouds are mixed, 100 % "
               "that they are apart.")
    if emap.same_encoder:
        st.markdown(f"**{run.name} is a frozen run:** its encoder is the pre-trained one, so both maps show the "
                    "same points. The head must draw its boundary through this space as it is — where spam and "
                    "ham overlap, no head can tell them apart. Select a **finetune** run to see the encoder move.")
    else:
        st.markdown(fine_tuning_words(sep_before, sep_after))


def fine_tuning_words(before: float, after: float) -> str:
    """What the two maps say, in words that follow the measured shares (not the lesson hoped for)."""
    shares = f"on the map, {before:.0%} of the messages sit nearer their own class before and {after:.0%} after."
    if after >= before + 0.05:
        return (f"**Fine-tuning pulled spam and ham apart:** {shares} The pre-trained encoder places messages by "
                "topic and wording; after fine-tuning the direction that matters most is spam against ham, so the "
                "last layer only has to draw a line between the two clouds.")
    if after <= before - 0.05:
        return (f"**This run's encoder mixes the classes more than the pre-trained one:** {shares} Its training "
                "did not find the spam direction (too few steps, or a learning rate too high or too low).")
    return (f"**Fine-tuning changed little here:** {shares} The classes were as far apart before training as "
            "after, on these two axes (the run may have trained for few steps, or its data was easy already).")
