"""School (admin): make a class (its class code, its teacher code shown once, the address and QR code its students
open), list the classes, give a class a new teacher code, and see the training queue."""

import pandas as pd
import streamlit as st

from spamcore.app.ui import classroom, school, state
from spamcore.classroom.store import ClassError
from spamcore.errors import SpamcoreError

NEW_CLASS = "school_new_class"


def new_class() -> None:
    with st.form("school_new_class_form", clear_on_submit=True):
        name = st.text_input("Class name", max_chars=80, placeholder="8B computing")
        made = st.form_submit_button("Make the class", type="primary", icon=":material/add:")
    if made:
        try:
            st.session_state[NEW_CLASS] = school.school().create(name)
        except ClassError as err:
            state.show_error(err)
    held = st.session_state.get(NEW_CLASS)
    if held is not None:
        made_class, teacher_code = held
        show_codes(made_class, teacher_code)


def show_codes(made_class, teacher_code: str) -> None:
    url = school.student_url(made_class)
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.image(classroom.qr_png(url), width=180)
    c2.markdown(f"**{made_class.name}** · class code `{made_class.code}` · teacher code `{teacher_code}`")
    c2.markdown(f"Students open `{url}`")
    c2.warning("Give the teacher code to the class's teacher now: it is shown only this once (the server keeps only "
               "its hash). A lost code is replaced below.", icon=":material/key:")


def class_list() -> None:
    classes = school.school().all()
    if not classes:
        st.info("No classes yet: make the first one above.", icon=":material/info:")
        return
    table = pd.DataFrame([{"class": c.name, "class code": c.code,
                           "made": pd.Timestamp(c.created_at, unit="s").strftime("%Y-%m-%d %H:%M"),
                           "students open": school.student_url(c)} for c in classes])
    st.dataframe(table, hide_index=True, width="stretch", key="school_classes")
    names = {c.id: f"{c.name} ({c.code})" for c in classes}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = c1.selectbox("Class", list(names), format_func=names.get, key="school_renew_class")
    if c2.button("New teacher code", key="school_renew", icon=":material/key:"):
        code = school.school().new_teacher_code(chosen)
        st.session_state[NEW_CLASS] = (school.school().get(chosen), code)
        st.rerun()


def training_queue() -> None:
    from spamcore.runs import queue

    url = queue.queue_url()
    if url is None:
        st.caption("Trainings run on this server, one at a time per class (no queue database configured: see "
                   "docs/school.md).")
        return
    try:
        waiting = queue.jobs(url, active_only=True)
        workers = queue.workers_alive(url)
    except SpamcoreError as err:
        state.show_error(err)
        return
    if not workers:
        st.warning("No training worker has been seen in the last 20 seconds: trainings wait until one runs "
                   "(`spamcore worker`, see docs/school.md).", icon=":material/warning:")
    st.caption(f"{workers} worker(s) running; {len(waiting)} training(s) running or waiting.")
    if waiting:
        st.dataframe(pd.DataFrame([{"job": j.id, "status": j.status, "place": j.position,
                                    "run": j.run_dir.rsplit("/", 1)[-1]} for j in waiting]),
                     hide_index=True, width="stretch", key="school_queue")


st.title("School")
st.caption("Each class has its own class code, teacher code, rounds, board and runs. A teacher code opens only its "
           "own class.")
st.subheader("Make a class")
new_class()
st.subheader("Classes")
class_list()
st.subheader("Training queue")
training_queue()
