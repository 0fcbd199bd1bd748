"""Data: built-in or uploaded messages — samples, label balance, lengths, splits, and the tokenizer up close."""

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts, data_choice, resources, state
from spamcore.data.messages import (
    LABEL_NAMES,
    duplicate_audit,
    label_summary,
    read_messages,
    split_dataset,
    split_table,
    truncated_share,
    word_counts,
)
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.teaching.token_view import explain_tokens
from spamcore.text.normalise import DEFAULT_SCHEME, normalising

PLACEHOLDERS = ("`&lt;#&gt;` and `&lt;DECIMAL&gt;` are the collection's own placeholders (`<#>`: a number its "
                "authors removed to keep messages anonymous); `&amp;` is `&`. They are kept as written: the "
                "models read them the same way in training and at test time.")


def source_picker() -> None:
    kinds = [data_choice.BUILTIN, data_choice.UPLOAD]
    kind = st.radio("Messages", kinds, index=kinds.index(data_choice.dataset_kind()), horizontal=True,
                    key="data_source")
    if data_choice.set_dataset_kind(kind):
        st.rerun()  # so that the sidebar shows the new choice
    if kind != data_choice.UPLOAD:
        return
    upload = st.file_uploader(
        "CSV or TSV with a header holding `label` (ham/spam or 0/1) and `text`, or the UCI format "
        "(`ham<TAB>message`, no header)", type=["csv", "tsv", "txt"], key="data_upload",
    )
    if upload is not None and data_choice.upload_is_new(upload.file_id):
        try:
            frame = read_messages(data_choice.check_upload(upload), upload.name)
        except SpamcoreError as err:
            state.show_error(err)
            st.stop()
        data_choice.set_upload(frame, upload.name, upload.file_id)
        st.rerun()


def samples(frame: pd.DataFrame) -> None:
    st.subheader("Sample messages (4 of each class)")
    if frame["text"].str.contains("&lt;|&gt;|&amp;", regex=True).any():
        st.caption(PLACEHOLDERS)
    if st.button("Show other messages", key="data_resample", icon=":material/shuffle:"):
        st.session_state["data_sample_seed"] = st.session_state.get("data_sample_seed", 0) + 1
    seed = st.session_state.get("data_sample_seed", 0)
    sample = pd.concat([group.sample(min(4, len(group)), random_state=seed) for _, group in frame.groupby("label")])
    st.dataframe(sample.assign(label=sample["label"].map(dict(enumerate(LABEL_NAMES))))[["label", "text"]],
                 hide_index=True, width="stretch", key="data_sample")


def balance_and_split(frame: pd.DataFrame) -> None:
    left, right = st.columns([2, 3], gap="large")
    with left:
        charts.show(figures.label_balance(label_summary(frame)), key="chart_balance")
    with right:
        st.subheader("Training / validation / test split")
        try:
            split = split_dataset(frame)
        except SpamcoreError as err:
            st.warning(f"These messages cannot be trained on yet: {err}", icon=":material/warning:")
            return
        st.dataframe(split_table(split), hide_index=True, width="stretch", key="data_splits")
        st.caption("Stratified: each split keeps the same share of spam. Fixed seed 42, as in the reference "
                   "notebook.")
        audit = duplicate_audit(frame, split)
        st.markdown(f"**Repeated messages:** {audit['repeated_rows']:,} rows repeat an earlier one; "
                    f"**{audit['test_in_train']:,} of {audit['test']:,} test messages** also stand in the training "
                    "split, so a model can score them by memory. *Drop repeated messages* on **Train** removes "
                    "repeats before the split.")


def lengths(frame: pd.DataFrame) -> int:
    """Length histograms with the max length marked; returns the chosen max length."""
    st.subheader("How long are the messages?")
    max_length = st.slider("Max length (tokens per message, [CLS] and [SEP] included)", 8, 128, 25,
                           key="data_max_length")
    labels = frame["label"].to_numpy()
    tokens = resources.token_lengths("bundled:minilm-l6", data_choice.data_key(frame), tuple(frame["text"]))
    share = truncated_share(tokens, max_length)
    m1, m2, m3 = st.columns(3)
    m1.metric("Median length", f"{int(sorted(tokens)[len(tokens) // 2])} tokens")
    m2.metric(f"Messages cut at {max_length} tokens", f"{share:.1%}")
    m3.metric("Longest message", f"{max(tokens)} tokens")
    words_col, tokens_col = st.columns(2, gap="large")
    with words_col:
        charts.show(figures.length_histogram(word_counts(frame["text"]), labels, "words"), key="chart_words")
    with tokens_col:
        charts.show(figures.length_histogram(tokens, labels, "WordPiece tokens", max_length, share),
                    key="chart_tokens")
    return max_length


def tokenizer_explorer(max_length: int) -> None:
    st.subheader("Tokenization explorer")
    st.caption("Type a message to see what BERT receives: WordPiece tokens, their ids, and the attention mask.")
    text = st.text_input("Message", "WINNER!! Claim your £900 prize now, call 09061701461", key="tok_text",
                         max_chars=2000)
    c1, c2 = st.columns(2)
    pad = c1.checkbox("Pad to max length (shows attention mask 0 for padding)", key="tok_pad")
    scheme = DEFAULT_SCHEME if c2.toggle(
        "Normalise first (as the finetune recipe does)", True, key="tok_normalise",
        help="Undoes the tricks used against filters: look-alike letters from other scripts, full-width letters, "
             "invisible characters, spaced-out letters (\"w o n\"). Try \"f r e e\" or \"Сlаim\" with it off.",
    ) else "none"
    if not text.strip():
        st.info("Type a message above.")
        return
    tokenizer = normalising(resources.base_tokenizer(), scheme)
    read_as = tokenizer.normalise(text)
    if read_as != text:
        st.markdown("**The model reads:**")
        st.code(read_as, language=None, wrap_lines=True)
    view = explain_tokens(tokenizer, text, max_length, pad=pad)
    st.code(" ".join(view.table["token"]), language=None, wrap_lines=True)
    by_position = view.table.set_index("position").T.astype(str).rename(columns=str)  # one column per token
    st.dataframe(by_position, width="stretch", key="tok_table")
    if view.truncated:
        st.warning(f"This message has {view.total_tokens} tokens; max length {max_length} cuts these "
                   f"{len(view.cut)} tokens off:", icon=":material/content_cut:")
        st.code(" ".join(view.cut), language=None, wrap_lines=True)
    else:
        st.caption(f"{view.total_tokens} tokens: fits in max length {max_length}, nothing is cut.")


st.title("Data")
source_picker()
try:
    dataset = data_choice.current_dataset()
except SpamcoreError as err:
    st.info(str(err), icon=":material/info:")
    st.stop()
st.caption(f"{dataset.name}: {len(dataset.frame):,} messages")
samples(dataset.frame)
balance_and_split(dataset.frame)
tokenizer_explorer(lengths(dataset.frame))
