"""Challenge: a student writes a message meant to fool the model, says what it truly is, and sees the verdict —
then, once the verdict is on screen, the words that pushed it; a "not sure" says how close it came."""

import streamlit as st

from spamcore.app.ui import charts, classroom, highlight, resources, school, state
from spamcore.classroom.rounds import distance_to_fooling, judge
from spamcore.classroom.store import MAX_NICKNAME_CHARS, MAX_TEXT_CHARS, ClassError
from spamcore.errors import SpamcoreError
from spamcore.teaching.explain import DEFAULT_METHOD

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
    st.session_state["challenge_last"] = (attempt, claimed, text)


def last_result(classifier) -> None:
    held = st.session_state.get("challenge_last")
    if held is None:
        return
    attempt, claimed, _ = held
    if attempt.verdict == "unsure":
        band = classifier.unsure_band
        st.markdown("## :gray[It was not sure] — that counts as caught")
        st.caption(f"Spam probability {attempt.spam_probability:.2f}. The model says \"not sure\" between "
                   f"{band.low:.2f} and {band.high:.2f}; {how_close(attempt.spam_probability, claimed, band)} "
                   "The teacher counts a \"not sure\" as caught: it did not fall for it.")
    elif attempt.fooled:
        st.markdown(f"## :green[You fooled it!] It said {charts.verdict_markdown(attempt.verdict)}")
        st.caption(f"You said {claimed}. Spam probability {attempt.spam_probability:.2f}. The teacher will check "
                   "your label before the model learns from it.")
    else:
        st.markdown(f"## It caught that: {charts.verdict_markdown(attempt.verdict)}")
        st.caption(f"Spam probability {attempt.spam_probability:.2f}. Try another trick.")


def how_close(spam_probability: float, claimed: str, band) -> str:
    other = "ham" if claimed == "spam" else "spam"
    gap = distance_to_fooling(spam_probability, claimed, band)
    return f"{gap:.2f} more towards {other} and it would have said {other}."


def why_it_said_so(run) -> None:
    """The words that pushed the verdict, drawn after it: the verdict is on screen while this is computed."""
    held = st.session_state.get("challenge_last")
    if held is None:
        return
    text = held[2]
    st.markdown("**Why it said so**: each word's push towards spam (orange) or ham (blue)")
    try:
        highlight.show_explanation(resources.explanation(run, text, DEFAULT_METHOD), key="challenge_why")
    except SpamcoreError as err:
        state.show_error(err)


def join_class() -> None:
    """A school's server: the class code first (the QR code's address carries it)."""
    with st.form("challenge_join", border=True):
        code = st.text_input("Class code", max_chars=12, placeholder="the code your teacher shows")
        joined = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if joined:
        if school.join(code) is None:
            st.error("No class has that code: check it with your teacher.", icon=":material/error:")
        else:
            st.rerun()


def page() -> None:
    st.title("Fool the spam filter")
    if school.school_mode():
        joined = school.session_class()
        if joined is None:
            join_class()
            return
        st.caption(f"Class {joined.name}")
    round_ = classroom.current_round()
    if round_ is None:
        waiting()
        return
    st.caption(f"Round {round_.id} · the model: run {round_.run_name}. Write a message it gets wrong — spam it "
               "calls ham, or ham it calls spam — and say honestly which it is.")
    try:
        run = classroom.round_run(round_)
        classifier = resources.verdict_classifier(run)
    except SpamcoreError as err:
        state.show_error(err)
        return
    attempt_form(round_, classifier)
    last_result(classifier)
    why_it_said_so(run)


page()
