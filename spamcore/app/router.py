"""The app's router: page config, navigation by role, the sidebar shared by every page, then the page.

The teacher gets every page, a student's device only Challenge and Classify (:mod:`spamcore.app.ui.roles`). It
imports no torch: Home appears at once, and every other page first waits for the heavy imports that
:mod:`spamcore.app.warmup` does once per server process.
"""

from __future__ import annotations

import functools

import streamlit as st

from spamcore.app import paths, warmup
from spamcore.app.ui import classroom, database, jobs, roles, school, sidebar, state


@functools.cache
def _stylesheet() -> str:
    return paths.asset("app.css").read_text(encoding="utf-8")


def _page(name: str, title: str, icon: str, **kwargs) -> st.Page:
    return st.Page(paths.view(name), title=title, icon=icon, **kwargs)


def main() -> None:
    """One script run: the page this session asked for, with the navigation its role allows."""
    warmup.start()
    teacher = roles.is_teacher()
    # A student's phone gets the page, not a sidebar over it (theirs holds only the teacher sign-in).
    st.set_page_config(page_title="spamcore · BERT spam lab", page_icon=":material/mail:", layout="wide",
                       initial_sidebar_state="auto" if teacher else "collapsed")
    st.logo(str(paths.asset("logo.svg")), size="large")
    st.html(f"<style>{_stylesheet()}</style>")  # a style-only block: no space on the page

    try:
        _navigate_and_run(teacher)
    except Exception as err:  # the database away: one sentence, not a traceback (Streamlit's own rerun and stop
        said = database.database_away(err)  # exceptions are not Exceptions of this kind and pass through)
        if said is None:
            raise
        st.warning(said, icon=":material/cloud_off:")


def _navigate_and_run(teacher: bool) -> None:
    challenge = _page("challenge", "Challenge", ":material/sports_esports:", url_path="challenge")
    classify = _page("classify", "Classify", ":material/mark_email_read:")
    home = _page("home", "Home", ":material/home:", default=True)
    if school.school_mode():
        school.admin_code()  # made (and printed in the server's terminal) on the first visit
        school.keep_class_in_address()
    else:
        roles.teacher_code()  # made (and printed in the server's terminal) on the first visit
    admin = school.school_mode() and school.is_admin()
    if admin and not teacher:
        page = st.navigation([_page("school", "School", ":material/domain:", default=True), classify])
        roles.sign_in()
    elif teacher:
        page = st.navigation([
            home,
            _page("data", "Data", ":material/table_chart:"),
            _page("train", "Train", ":material/model_training:"),
            _page("evaluate", "Evaluate", ":material/analytics:"),
            classify,
            _page("runs", "Runs", ":material/history:"),
            _page("bert", "How BERT learns", ":material/school:"),
            _page("board", "Class board", ":material/groups:", url_path="board"),
            challenge,
            *([_page("school", "School", ":material/domain:")] if admin else []),
        ])
        jobs.adopt_finished_job()
        sidebar.sidebar()
    else:
        # What a student's device sees: nothing here changes the app (see ui/roles.py).
        page = st.navigation([challenge, classify])
        current = classroom.current_round()
        state.use_run(current.run_name if current else None)  # students classify with the run the class attacks
        roles.sign_in()
    # By title, not URL path (Home and School need no model libraries): a student's default page (Challenge) has
    # the empty URL path Home has for the teacher.
    if page.title not in (home.title, "School") and not warmup.ready():
        with st.spinner("Loading the model libraries (once after the app starts)…"):
            warmup.wait()
    page.run()
