"""Teacher and students are not the same user.

The browser on the machine that runs the server (a loopback address) is the teacher's. Any other device — a
student's phone or laptop on the class network — is a student until the teacher's code is typed in the sidebar.
Students get the Challenge page and Classify, nothing that changes state: pages that train, stop, delete, moderate
or retrain are not in their navigation at all, so their URLs lead nowhere either.

The code is ``$SPAMCORE_TEACHER_CODE``, or one made up when the server starts and printed only in the server's
terminal (``make app``). ``SPAMCORE_LOCAL_IS_TEACHER=0`` makes the loopback browser a student too (behind a
reverse proxy every visitor looks local; tests use it to be a student).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import sys

import streamlit as st

TEACHER = "role_teacher"
CODE_ENV = "SPAMCORE_TEACHER_CODE"
LOCAL_ENV = "SPAMCORE_LOCAL_IS_TEACHER"


def teacher_code() -> str:
    """This server's teacher code: ``$SPAMCORE_TEACHER_CODE``, or one made up once per server process and printed
    to its terminal."""
    return _code(os.environ.get(CODE_ENV, "").strip())


@st.cache_resource(show_spinner=False)
def _code(chosen: str) -> str:
    code = chosen
    if not code:
        code = secrets.token_hex(3)
        print(f"\n  spamcore teacher code: {code}   (type it in the sidebar on another device to act as the "
              f"teacher; set {CODE_ENV} to choose it)\n", file=sys.stderr, flush=True)
    return code


def is_loopback(address: object) -> bool:
    """Whether a browser at ``address`` (``st.context.ip_address``) runs on the server's machine.

    ``make app`` listens on every address, IPv6 included, so a browser at http://127.0.0.1 arrives as
    ``::ffff:127.0.0.1``, which Python before 3.13 does not call loopback: the IPv4 inside it decides.
    Example: ``is_loopback("::ffff:127.0.0.1")`` and ``is_loopback(None)`` are true; ``"192.168.1.20"`` is not.
    """
    if not isinstance(address, str):  # None: a loopback browser; not text: Streamlit's AppTest, in this process
        return True
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def _is_local() -> bool:
    from spamcore.classroom.classes import school_mode

    if os.environ.get(LOCAL_ENV, "1").strip() == "0" or school_mode():  # behind a school's proxy all look local
        return False
    return is_loopback(st.context.ip_address)


def is_teacher() -> bool:
    return bool(st.session_state.get(TEACHER)) or _is_local()


REFUSED = "sign_in_refused"


def _school_sign_in() -> None:
    """The code box's callback (before the script runs, so the page drawn next is already the signed-in one); the
    box is emptied, so a rerun never signs in again."""
    from spamcore.app.ui import school

    code = st.session_state.get("teacher_code_input", "")
    st.session_state["teacher_code_input"] = ""
    refused, teaches = school.sign_in(code) if code.strip() else (None, None)
    st.session_state[REFUSED] = refused
    if teaches is not None:
        st.session_state[TEACHER] = True


def sign_in() -> None:
    """The sidebar's teacher code box (students only); a right code makes this session the teacher's (on a school's
    server: the teacher's of the class the code belongs to, or the admin's)."""
    from spamcore.app.ui import school

    if school.school_mode():
        with st.sidebar, st.expander("Teacher or admin", expanded=bool(st.session_state.get(REFUSED))):
            st.text_input("Code", type="password", key="teacher_code_input", on_change=_school_sign_in,
                          help="A class's teacher code, or the school's admin code")
            if st.session_state.get(REFUSED):
                st.error(st.session_state[REFUSED])
        return
    with st.sidebar, st.expander("Teacher"):
        code = st.text_input("Teacher code", type="password", key="teacher_code_input",
                             help="Shown in the terminal where the app was started")
        if code:
            if hmac.compare_digest(code.strip(), teacher_code()):
                st.session_state[TEACHER] = True
                st.rerun()
            st.error("That is not the teacher code.")
    teacher_code()  # made (and printed) on the first visit, not only when someone tries it
