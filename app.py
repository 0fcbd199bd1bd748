"""spamcore's Streamlit app: explore the SMS Spam Collection, train BERT live, evaluate, classify.

Why ``app_pages/`` and not ``pages/``: a ``pages/`` folder next to this file switches Streamlit to its legacy
multipage mode, which bypasses the ``st.navigation`` router below (no sidebar, no run selector on a deep link).

Run with ``streamlit run app.py``. This file is the router: page config, navigation, and the sidebar shared by
every page. It imports no torch (pages load models lazily), so the first page appears quickly.
"""

import streamlit as st

from ui import jobs, sidebar

st.set_page_config(page_title="spamcore · BERT spam lab", page_icon=":material/mail:", layout="wide")
st.logo("assets/logo.svg", size="large")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/data.py", title="Data", icon=":material/table_chart:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/evaluate.py", title="Evaluate", icon=":material/analytics:"),
    st.Page("app_pages/classify.py", title="Classify", icon=":material/mark_email_read:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/history:"),
    st.Page("app_pages/bert.py", title="How BERT learns", icon=":material/school:"),
]

page = st.navigation(PAGES)
jobs.adopt_finished_job()
sidebar.sidebar()
page.run()
