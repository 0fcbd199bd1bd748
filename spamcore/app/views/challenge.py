"""Challenge: a student writes a message meant to fool the model, says what it truly is, and sees the verdict."""

import streamlit as st

from spamcore.app.ui import charts, classroom, resources, state
from spamcore.classroom.rounds import judge
from spamcore.classroom.store import MAX_NICKNAME_CHARS, MAX_TEXT_CHARS, ClassError
from spamcore.errors import SpamcoreError

CLAIMS = {"spam": "spam (unwanted, a scam, an advert)", "ham": "ham (a normal message)"}


def waiting() -> None:
    @st.fragment(run_every=5)
    def wait_for_round() -> None:
        if classroom.current_round() is not None:
            st.rerun()
        st.info("The teacher has not started a round yet. This page checks every few seconds.",
                icon=":material/hourglass_top:")

    wait_for_round()


def attempt_form(round_, classifier) -> None:
    with st.form("challenge_form", clear_on_submit=False, border=True):
        nickname = st.text_input("Your nickname", key="challenge_nickname", max_chars=MAX_NICKNAME_CHARS)
        text = st.text_area("Your message", key="challenge_text", height=130, max_chars=MAX_TEXT_CHARS,
                            placeholder="Write an SMS that the model gets wrong")
        claimed = st.radio("What is it truly?", ["spam", "ham"], key="challenge_claimed", horizontal=True,
                           format_func=CLAIMS.get)
        sent = st.form_submit_button("Send", type="primary", icon=":material/send:", width="stretch")
    if not sent:
        return
    try:
        if not text.strip():
            raise ClassError("write a message first")
        attempt = judge(classifier, text, claimed)
        classroom.store().submit(round_.id, classroom.session_id(), nickname, text, claimed, attempt.verdict,
                                 attempt.spam_probability)
    except SpamcoreError as err:
        state.show_error(err)
        return
    st.session_state["challenge_last"] = (attempt, claimed)


def last_result() -> None:
    held = st.session_state.get("challenge_last")
    if held is None:
        return
    attempt, claimed = held
    if attempt.verdict == "unsure":
        st.markdown("## :gray[It was not sure]")
        st.caption(f"Spam probability {attempt.spam_probability:.2f}: close, but it did not fall for it.")
    elif attempt.fooled:
        st.markdown(f"## :green[You fooled it!] It said {charts.verdict_markdown(attempt.verdict)}")
        st.caption(f"You said {claimed}. Spam probability {attempt.spam_probability:.2f}. The teacher will check "
                   "your label before the model learns from it.")
    else:
        st.markdown(f"## It caught that: {charts.verdict_markdown(attempt.verdict)}")
        st.caption(f"Spam probability {attempt.spam_probability:.2f}. Try another trick.")


def page() -> None:
    st.title("Fool the spam filter")
    round_ = classroom.current_round()
    if round_ is None:
        waiting()
        return
    st.caption(f"Round {round_.id} · the model: run {round_.run_name}. Write a message it gets wrong — spam it "
               "calls ham, or ham it calls spam — and say honestly which it is.")
    try:
        classifier = resources.run_classifier(classroom.round_run(round_))
    except SpamcoreError as err:
        state.show_error(err)
        return
    attempt_form(round_, classifier)
    last_result()


page()
