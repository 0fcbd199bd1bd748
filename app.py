"""spamcore's Streamlit app: explore the SMS Spam Collection, train BERT live, evaluate, classify.

Run with ``streamlit run app.py``. This file is the router: page config, navigation, and the sidebar shared by
every page. It imports no torch (pages load models lazily), so the first page appears quickly.

The pages live in ``app_pages/``, not ``pages/``: a folder named ``pages`` next to the entry point turns on
Streamlit's older automatic multipage mode, which (on a fresh server's first request, and in every AppTest
``switch_page``) runs a page file without this router — no sidebar, no page config.
"""

import streamlit as st

from ui import state

st.set_page_config(page_title="spamcore · BERT spam lab", page_icon=":material/mail:", layout="wide")

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
state.adopt_finished_job()
state.sidebar()
page.run()
