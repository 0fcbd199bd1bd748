"""The sidebar every page shows: the session's data, the run selector, the model, and whether a training runs."""

from __future__ import annotations

import streamlit as st

from spamcore.app.ui import data_choice, jobs
from spamcore.app.ui.state import RUN_SELECT, finished_runs, model_label, runs_root
from spamcore.errors import DataError
from spamcore.model.config import BUNDLED_MODEL


def sidebar() -> None:
    """Dataset, model and run selector; shown on every page."""
    with st.sidebar:
        kind = data_choice.dataset_kind()
        if kind == data_choice.UPLOAD:
            name = st.session_state.get(data_choice.UPLOAD_NAME)
            st.markdown("**Dataset**")
            st.text(f"upload: {name}" if name else "upload (no file yet)")
        else:
            try:
                path = data_choice.builtin_path()
                st.markdown("**Dataset**")
                st.text(f"SMS Spam Collection\n{path.name}")
            except DataError:
                st.markdown("**Dataset**")
                st.text("SMS Spam Collection: not found\n(see Home for the fix)")

        runs = finished_runs()
        names = [r.name for r in runs]
        if st.session_state.get(RUN_SELECT) not in names:
            st.session_state[RUN_SELECT] = names[0] if names else None
        by_name = {r.name: r for r in runs}
        st.selectbox(
            "Run", names, key=RUN_SELECT, placeholder="no finished run yet",
            format_func=lambda n: f"{n} · {by_name[n].config.recipe} · acc {by_name[n].metrics['accuracy']:.3f}",
            help=f"Finished runs in {runs_root()}. Evaluate and Classify use the selected run.",
        )
        run = by_name.get(st.session_state.get(RUN_SELECT))
        st.markdown("**Model**")
        if run:
            st.text(run.model_name)
        else:
            st.text(model_label(BUNDLED_MODEL) + "\n(no run selected)")
        job = jobs.current_job()
        if job is not None and job.active:
            # No number here: a value drawn at page load would go stale while the job moves on, and polling on
            # every page of every session costs the server more than it tells (the live panel is on Train).
            st.caption("Training now")
            st.text(f"{job.run_name}\n(progress on Train)")
