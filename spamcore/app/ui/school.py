"""A school's server in the app: which class this browser session belongs to, the admin's and the teachers' codes,
and the address a class's students open.

Off on a laptop (:func:`spamcore.classroom.classes.school_mode`): there the class is the server's one class and the
loopback browser is the teacher's, as before. On a school's server nobody is a teacher by where they sit (behind a
proxy every browser looks local): a session is a class's student once it joins with the class code (typed, or the
``?class=`` of its QR code), that class's teacher with the teacher code, and the school's admin with the admin code.
A teacher code opens only its own class: in a session that already belongs to another class it is refused.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys

import streamlit as st

from spamcore.classroom.classes import ADMIN_CODE_ENV, School, SchoolClass, normalise_class_code, school_mode

CLASS_ID = "school_class_id"
ADMIN = "school_admin"
PUBLIC_URL_ENV = "SPAMCORE_PUBLIC_URL"

__all__ = ["school_mode"]


def school() -> School:
    from spamcore.app.ui import database

    return School(database.base_store().engine)


def admin_code() -> str:
    """``$SPAMCORE_ADMIN_CODE`` (every replica of one school needs the same), or one made up once per server process
    and printed in its terminal."""
    return _admin_code(os.environ.get(ADMIN_CODE_ENV, "").strip())


@st.cache_resource(show_spinner=False)
def _admin_code(chosen: str) -> str:
    if chosen:
        return chosen
    code = secrets.token_hex(4)
    print(f"\n  spamcore school admin code: {code}   (set {ADMIN_CODE_ENV} to choose it)\n", file=sys.stderr,
          flush=True)
    return code


def is_admin() -> bool:
    return bool(st.session_state.get(ADMIN))


def session_class() -> SchoolClass | None:
    """The class this session belongs to: the one it joined or signed in to, else the one its address names
    (``?class=CODE``)."""
    class_id = st.session_state.get(CLASS_ID)
    if class_id is None:
        code = st.query_params.get("class")
        found = school().by_code(code) if code else None
        if found is not None:
            st.session_state[CLASS_ID] = found.id
        return found
    try:
        return school().get(int(class_id))
    except Exception:  # the class was removed, or the database is away for a moment: no class this run
        return None


def keep_class_in_address() -> None:
    """Keep ``?class=CODE`` in the address on every page (Streamlit drops it when the page changes), so that a reload
    or a restarted replica brings the browser back to its class."""
    joined = session_class()
    if joined is not None and st.query_params.get("class") != joined.code:
        st.query_params["class"] = joined.code


def join(code: str) -> SchoolClass | None:
    """Join the class whose code is ``code``; the class, or None for an unknown code."""
    found = school().by_code(code)
    if found is not None:
        st.session_state[CLASS_ID] = found.id
        st.query_params["class"] = found.code
    return found


def sign_in(code: str) -> tuple[str | None, SchoolClass | None]:
    """The admin's or a teacher's code typed in the sidebar: ``(None, class)`` when it is the teacher code of a class
    this session may belong to (it joins it; :mod:`spamcore.app.ui.roles` makes it the teacher's), ``(None, None)``
    for the admin's (this session is the admin's now), else ``(why not, None)``."""
    code = code.strip()
    if hmac.compare_digest(code, admin_code()):
        st.session_state[ADMIN] = True
        return None, None
    found = school().by_teacher_code(code)
    if found is None:
        return "That is not a teacher code of this school.", None
    current = st.session_state.get(CLASS_ID)
    if current is not None and int(current) != found.id:
        return "That is another class's teacher code: this page belongs to a different class.", None
    st.session_state[CLASS_ID] = found.id
    st.query_params["class"] = found.code
    return None, found


def student_url(class_: SchoolClass) -> str:
    """The address a class's students open: ``$SPAMCORE_PUBLIC_URL`` (the proxy's address) with the class code."""
    from spamcore.app.ui import database

    port = st.get_option("server.port")
    base = os.environ.get(PUBLIC_URL_ENV, "").strip() or f"http://{database.lan_address()}:{port}/"
    return f"{base.rstrip('/')}/?class={normalise_class_code(class_.code)}"
