"""How BERT learns: the two pre-training tasks of Devlin et al. (2018) built on the user's own sentence with the real
tokenizer, then what this lab's two recipes do with the pre-trained encoder, on the user's own runs."""

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts, embedding_map, pretraining_guesses, resources, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.model.config import BUNDLED_MODEL
from spamcore.runs.store import run_table
from spamcore.teaching.pretraining import MASK_PROBABILITY, build_pair, mask_tokens

PAPER = ("Devlin, Chang, Lee & Toutanova (2018), *BERT: Pre-training of Deep Bidirectional Transformers for "
         "Language Understanding*, arXiv:1810.04805")
ACTION_COLORS = {"mask": "#f9d9bd", "random": "#f3c4d6", "keep": "#cfe3f3"}


def reroll() -> None:
    st.session_state["bert_seed"] = int(st.session_state.get("bert_seed", 0)) + 1


def intro() -> None:
    st.title("How BERT learns")
    st.markdown("Before it ever sees a spam message, BERT is **pre-trained** on plain text (books and Wikipedia) "
                "with two tasks that need no labels: guess hidden words (**masked language modelling**) and tell "
                "whether one sentence follows another (**next sentence prediction**). Below, both are built on your "
                "own sentence with the real tokenizer of this lab's model.")
    st.caption(f"Source: {PAPER}, section 3.1 and appendix A.1.")


def model_and_tokenizer(run) -> tuple[str, object]:
    """The selected run's base model and its tokenizer, else the bundled one's (and say why)."""
    model = run.config.model if run else BUNDLED_MODEL
    try:
        return model, resources.base_tokenizer(model)
    except SpamcoreError as err:  # e.g. a hub model not in this machine's cache: teach with the bundled one
        st.info(f"The selected run's model can't be loaded here ({err}), so this page uses the bundled MiniLM.",
                icon=":material/info:")
        return BUNDLED_MODEL, resources.base_tokenizer(BUNDLED_MODEL)


def masked_language_modelling(tokenizer, text: str, model: str) -> None:
    st.subheader("1 · Masked language modelling (MLM)")
    st.markdown(f"**{MASK_PROBABILITY:.0%}** of the tokens are *chosen* as prediction targets ([CLS] and [SEP] "
                "never are). Of the chosen tokens **80 %** become `[MASK]`, **10 %** a random token and **10 %** "
                "stay unchanged — so the model cannot assume that only `[MASK]` positions matter (real inputs never "
                "contain `[MASK]`). The loss looks only at the chosen positions.")
    seed_col, button_col = st.columns([1, 3], vertical_alignment="bottom")
    seed = seed_col.number_input("Seed", 0, 10**6, key="bert_seed")
    button_col.button("Re-roll", key="bert_reroll", icon=":material/casino:", on_click=reroll,
                      help="Another seed: another choice of tokens and actions")
    try:
        masked = mask_tokens(tokenizer, text, seed=int(seed))
    except SpamcoreError as err:
        state.show_error(err)
        return
    view = pd.DataFrame(
        {f"{t.position}": [t.original, t.shown, t.action or ("special" if t.special else "—")]
         for t in masked.tokens},
        index=["token in your sentence", "what the model sees", "chosen → action"],
    )
    actions = {f"{t.position}": t.action for t in masked.tokens}
    styled = view.style.apply(lambda col: [f"background-color: {ACTION_COLORS[actions[col.name]]}"
                                           if actions[col.name] else "" for _ in col])
    st.dataframe(styled, width="stretch", key="bert_mlm")
    chosen = masked.chosen
    counts = {a: sum(t.action == a for t in chosen) for a in ("mask", "random", "keep")}
    candidates = sum(not t.special for t in masked.tokens)
    st.caption(f"Seed {masked.seed}: {len(chosen)} of {candidates} tokens chosen — {counts['mask']} → [MASK] "
               f"(orange), {counts['random']} → random token (pink), {counts['keep']} kept (blue). In a short "
               "sentence 15 % is one or two tokens; over a whole corpus the shares come out at 80/10/10. Re-roll to "
               "see another draw.")
    pretraining_guesses.masked_words(masked, model)


def next_sentence_prediction(tokenizer, text: str, model: str) -> None:
    st.subheader("2 · Next sentence prediction (NSP)")
    st.markdown("Two sentences go in as one input: `[CLS]` sentence A `[SEP]` sentence B `[SEP]`. Half the time B "
                "really follows A (**IsNext**), half the time it is a random sentence (**NotNext**); the output at "
                "`[CLS]` learns to tell which. Every token's input is the sum of three embeddings: its **token**, "
                "its **segment** (0 for A, 1 for B) and its **position** (0, 1, 2, …).")
    second = st.text_input("Sentence B", "Reply STOP to opt out.", key="bert_second", max_chars=500)
    follows = st.radio("Does B follow A?", ["IsNext", "NotNext"], key="bert_nsp_label", horizontal=True)
    try:
        pair = build_pair(tokenizer, text, second, is_next=follows == "IsNext")
    except SpamcoreError as err:  # an empty sentence B: this section waits for it, the others go on
        st.info(str(err), icon=":material/info:")
        return
    st.code(" ".join(t.token for t in pair.tokens), language=None, wrap_lines=True)
    charts.show(figures.id_heatmap([t.token for t in pair.tokens],
                                   {"segment id (A = 0, B = 1)": pair.token_type_ids,
                                    "position id": pair.position_ids},
                                   f"Segment and position ids · NSP label: {pair.label}"), key="chart_bert_ids")
    pretraining_guesses.next_sentence(text, second, model)
    st.caption("Fine-tuning for spam uses the same input format with one sentence: every token has segment id 0, "
               "and the `[CLS]` output feeds the spam/ham classifier.")


def training_map(run, text: str) -> None:
    st.subheader("3 · What training does to BERT's space")
    embedding_map.show(run, text)


def recipes_on_your_runs() -> None:
    st.subheader("4 · Frozen encoder or fine-tuning? On your runs")
    st.markdown("- **frozen**: BERT's weights stay as pre-trained; only a small head on the `[CLS]` summary learns. "
                "Few parameters, fast, and the encoder output can be computed once.\n"
                "- **finetune**: every weight is trained for spam (Devlin et al. 2018, section 4). Slower per "
                "epoch, usually more accurate, because the encoder itself adapts to SMS spam.")
    table = run_table(state.finished_runs())
    if table.empty:
        st.info("No finished runs yet: train one **frozen** and one **finetune** run on the Train page to compare "
                "them here.", icon=":material/info:")
        return
    mine = table[["run", "recipe", "trainable parameters", "epochs", "seconds", "test spam F1", "baseline spam F1"]]
    st.dataframe(mine, hide_index=True, width="stretch", key="bert_recipes", column_config={
        "trainable parameters": st.column_config.NumberColumn(format="localized"),
        "seconds": st.column_config.NumberColumn("training time (s)", format="%.1f"),
        "test spam F1": st.column_config.NumberColumn(format="%.3f"),
        "baseline spam F1": st.column_config.NumberColumn(format="%.3f"),
    })
    charts.show(figures.recipe_scatter(table), key="chart_bert_recipes")
    missing = {"frozen", "finetune"} - set(table["recipe"])
    if missing:
        st.caption(f"No {' or '.join(sorted(missing))} run yet: train one to see both recipes side by side.")


def page() -> None:
    intro()
    text = st.text_input("Your sentence", "Claim your free prize now, the offer ends at midnight", key="bert_text",
                         max_chars=500)
    run = state.selected_run()
    if text.strip():
        model, tokenizer = model_and_tokenizer(run)
        masked_language_modelling(tokenizer, text, model)
        next_sentence_prediction(tokenizer, text, model)
        training_map(run, text)
    else:
        st.info("Type a sentence above to see sections 1–3.", icon=":material/info:")
    recipes_on_your_runs()


page()
