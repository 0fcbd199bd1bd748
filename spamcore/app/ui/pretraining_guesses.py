"""How BERT learns: what a real masked-word head guesses at the chosen positions, and a real IsNext probability,
or a plain word on why none is shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spamcore.app.ui import data_choice, resources, state
from spamcore.errors import SpamcoreError
from spamcore.model.config import BUNDLED_MODEL
from spamcore.teaching.masked import guesses, head_training_running, last_log_line, start_background

MINILM_NO_HEAD = ("The bundled MiniLM ships its encoder alone, without the masked-word head, and MiniLM never learned "
               "to fill in blanks: it was distilled from a larger model's attention patterns, then tuned for "
               "sentence similarity. A checkpoint that keeps its pre-training head (such as `bert-base-uncased`, "
               "when online) answers here with its own.")


def why_no_head(model: str) -> str:
    if model == BUNDLED_MODEL:
        return MINILM_NO_HEAD
    return (f"The checkpoint {state.model_label(model)} was saved without its masked-word head, so it has none to "
            "ask. A checkpoint that keeps its pre-training head answers here with its own.")


def masked_words(masked, model: str) -> None:
    """Top-5 guesses at each chosen position of ``masked`` (a MaskedSentence)."""
    st.markdown("**What a real head guesses** at each chosen position, from the input as the model sees it:")
    try:
        mlm, own, score = resources.masked_word_model(model)
    except SpamcoreError as err:
        state.show_error(err)
        return
    if not own and score is None:
        _offer_training(model)
        return
    shown = [t.shown_id for t in masked.tokens]
    top = guesses(mlm, resources.base_tokenizer(model), shown, [t.position for t in masked.chosen])
    rows = [{"position": t.position, "token in your sentence": t.original, "what the model sees": t.shown,
             **{f"guess {i + 1}": f"“{g.token}” {g.probability:.0%}" for i, g in enumerate(top[t.position])},
             "right?": "top 1" if top[t.position][0].token == t.original else
             ("top 5" if any(g.token == t.original for g in top[t.position]) else "no")}
            for t in masked.chosen]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="bert_guesses")
    if own:
        st.caption("These are the checkpoint's own pre-training head's guesses.")
        return
    st.caption(
        f"A head trained here in {score.seconds:.0f} s on {score.train_targets:,} masked tokens of the training "
        f"messages, with the encoder frozen. On {score.targets:,} masked tokens of held-out messages it guesses "
        f"right **{score.top1:.1%}** of the time at first try and **{score.top5:.1%}** within five; always "
        f"guessing the commonest tokens scores {score.baseline_top1:.1%} and {score.baseline_top5:.1%}.")
    st.info(f"{why_no_head(model)} So expect guesses that barely beat naming common words: "
            "what the encoder keeps at a `[MASK]` is not the missing word. That is a finding, not a fault of the "
            "page.", icon=":material/info:")


def _offer_training(model: str) -> None:
    st.info(f"{why_no_head(model)} So no guesses are shown yet: train a small head for it below (about half a "
            "minute on two CPU cores for the bundled model), then judge its guesses by its measured accuracy.",
            icon=":material/info:")
    running = head_training_running(model, resources.mlm_cache())
    if st.button("Train a masked-word head", key="bert_train_head", icon=":material/model_training:",
                 disabled=running, help="Runs `spamcore mlm-head` as its own process; the page shows its guesses "
                 "when it is done."):
        try:
            start_background(model, data_choice.builtin_path(), resources.mlm_cache())
        except (SpamcoreError, OSError) as err:
            state.show_error(err)
            return
        running = True
    if running:
        _watch(model)


@st.fragment(run_every=2.0)
def _watch(model: str) -> None:
    if head_training_running(model, resources.mlm_cache()):
        st.caption(f"Training the head: {last_log_line(model, resources.mlm_cache()) or 'starting'}…")
        return
    if resources.masked_word_model(model)[2] is None:
        st.error(f"Training the head failed: {last_log_line(model, resources.mlm_cache())}",
                 icon=":material/error:")
        return
    st.rerun()  # the whole page, so the guesses table appears


def next_sentence(first: str, second: str, model: str) -> None:
    """The IsNext probability from the checkpoint's own NSP head, or why there is none."""
    nsp = resources.next_sentence_model(model)
    if nsp is None:
        why = ("MiniLM was not pre-trained with NSP, and its checkpoint keeps the encoder only"
               if model == BUNDLED_MODEL else "its checkpoint was saved without that head")
        st.caption(f"No IsNext probability is shown: {state.model_label(model)} has no next-sentence head ({why}). "
                   "A checkpoint with the head, such as `bert-base-uncased`, would give one here.")
        return
    from spamcore.teaching.masked import is_next_probability

    p = is_next_probability(nsp, resources.base_tokenizer(model), first, second)
    st.metric("IsNext probability (the model's own NSP head)", f"{p:.1%}")
