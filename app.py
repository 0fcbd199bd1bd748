"""spamcore's Streamlit app: explore the SMS Spam Collection, train BERT live, evaluate, classify.

Why ``app_pages/`` and not ``pages/``: a ``pages/`` folder next to this file switches Streamlit to its legacy
multipage mode, which bypasses the ``st.navigation`` router below (no sidebar, no run selector on a deep link).

Run with ``streamlit run app.py``. This file is the router: page config, navigation by role (the teacher gets every
page, a student's device only Challenge and Classify: ``ui/roles.py``), and the sidebar shared by every page. It
imports no torch (pages load models lazily), so the first page appears quickly.
"""

import streamlit as st

from ui import classroom, jobs, roles, sidebar, state

TEACHER = roles.is_teacher()
# A student's phone gets the page, not a sidebar over it (theirs holds only the teacher sign-in).
st.set_page_config(page_title="spamcore · BERT spam lab", page_icon=":material/mail:", layout="wide",
                   initial_sidebar_state="auto" if TEACHER else "collapsed")
st.logo("assets/logo.svg", size="large")

CHALLENGE = st.Page("app_pages/challenge.py", title="Challenge", icon=":material/sports_esports:",
                    url_path="challenge")
CLASSIFY = st.Page("app_pages/classify.py", title="Classify", icon=":material/mark_email_read:")
#: What a student's device sees: nothing here changes the app (see ui/roles.py).
STUDENT_PAGES = [CHALLENGE, CLASSIFY]
TEACHER_PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/data.py", title="Data", icon=":material/table_chart:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/evaluate.py", title="Evaluate", icon=":material/analytics:"),
    CLASSIFY,
    st.Page("app_pages/runs.py", title="Runs", icon=":material/history:"),
    st.Page("app_pages/bert.py", title="How BERT learns", icon=":material/school:"),
    st.Page("app_pages/board.py", title="Class board", icon=":material/groups:", url_path="board"),
    CHALLENGE,
]

roles.teacher_code()  # made and printed in the server's terminal on the first visit
if TEACHER:
    page = st.navigation(TEACHER_PAGES)
    jobs.adopt_finished_job()
    sidebar.sidebar()
else:
    page = st.navigation(STUDENT_PAGES)
    current = classroom.current_round()
    state.use_run(current.run_name if current else None)  # students classify with the run the class attacks
    roles.sign_in()
page.run()
