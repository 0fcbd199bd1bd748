"""Home: what the app does, the dataset and its citation, how BERT is used, and what is ready."""

import streamlit as st

from spamcore.app.ui import data_choice, state
from spamcore.data.messages import CITATION, UCI_URL
from spamcore.errors import SpamcoreError


def intro() -> None:
    st.title("spamcore — a BERT spam-classification lab")
    st.markdown(
        "Train a small **BERT** model to tell **spam** from **ham** (normal messages) in SMS texts, watch it learn, "
        "see where it goes wrong, and check your own messages.\n\n"
        "**Data** → look at the messages and how BERT tokenises them · **Train** → train live · "
        "**Evaluate** → test-set scores, spam threshold, BERT against a TF-IDF baseline · **Classify** → check any "
        "message and see which words decided · **Runs** → compare, download, delete runs · **How BERT learns** → "
        "masked words and sentence pairs, on your own sentence."
    )


def about() -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("The dataset")
        st.markdown(
            "The **SMS Spam Collection**: 5,574 English SMS messages, each labelled *ham* or *spam* "
            "(about 13 % spam). It is split 70 / 15 / 15 into training, validation and test messages."
        )
        st.caption(f"Citation: {CITATION}")
    with right:
        st.subheader("How BERT is used here")
        st.markdown(
            "Each message is cut into WordPiece **tokens**, framed by `[CLS]` … `[SEP]`, and read by a pretrained "
            "BERT encoder (MiniLM-L6, 22 M weights, bundled so it works offline).\n\n"
            "- **frozen** recipe: BERT stays fixed; a small neural network learns from its `[CLS]` summary. Fast.\n"
            "- **finetune** recipe: every BERT weight is trained for spam. Slower, more accurate."
        )


def data_status() -> None:
    st.subheader("Ready?")
    try:
        path = data_choice.builtin_path()
        data = data_choice.builtin_dataset()
    except SpamcoreError as err:
        st.warning(f"**Data not found.** {err}", icon=":material/warning:")
        st.markdown(
            "To fix it, do one of these:\n"
            "1. **Upload** your own labelled CSV/TSV on the **Data** page (columns `label` and `text`).\n"
            "2. **Point to a copy**: start the app with "
            "`SPAMCORE_DATA=/path/to/SMSSpamCollection streamlit run app.py`.\n"
            f"3. **Download** it (needs internet) from {UCI_URL} with the button below."
        )
        if st.button("Download the SMS Spam Collection", key="home_download", icon=":material/download:"):
            from spamcore.data.messages import download_dataset

            try:
                with st.spinner("Downloading…"):
                    saved = download_dataset()
            except SpamcoreError as download_err:
                state.show_error(download_err)
            else:
                st.success(f"Saved to {saved}. Reloading…")
                st.rerun()
    else:
        st.success(f"Data found: {len(data.frame):,} messages in {path}", icon=":material/check_circle:")


def runs_status() -> None:
    runs = state.finished_runs()
    if runs:
        st.success(f"{len(runs)} finished run(s) in {state.runs_root()}; the sidebar selects one.",
                   icon=":material/check_circle:")
    else:
        st.info("No trained run yet: go to **Train** and press Start (the frozen recipe takes about a minute), "
                "or use the one-click quick run on **Classify**.", icon=":material/info:")


intro()
about()
data_status()
runs_status()
