"""The session's training job: start one, find the one to show (this session's, one running for anyone, or a
recent one), and select its run once it has finished. Jobs themselves live in the runs folder
(:mod:`spamcore.runs.jobs`), so every session and server sees the same ones.
"""

from __future__ import annotations

import time

import streamlit as st

from spamcore.app.ui import data_choice
from spamcore.app.ui.state import ADOPTED_RUN, RUN_SELECT, runs_root

JOB_RUN = "job_run"
RECENT_JOB_SECONDS = 3600  # a job this recent is shown on Train to a new session even when it has ended


def job_manager():
    from spamcore.runs.jobs import get_manager

    return get_manager(runs_root())


def current_job():
    """The job to show: this session's, else one running for anyone on this runs folder, else the newest one if it
    started within the last hour (so a reload, a restarted server or a second server finds it)."""
    jobs = job_manager()
    job = jobs.get(st.session_state.get(JOB_RUN))
    if job is not None:
        return job
    every = jobs.jobs()
    active = [j for j in every if j.active]
    recent = [j for j in every if time.time() - j.started < RECENT_JOB_SECONDS]
    found = active[0] if active else (recent[-1] if recent else None)
    if found is not None:
        st.session_state[JOB_RUN] = found.run_name
    return found


def adopt_finished_job() -> None:
    """Select the session's job's run in the sidebar once it has finished (call before the sidebar)."""
    job = job_manager().get(st.session_state.get(JOB_RUN))
    if job is None or st.session_state.get(ADOPTED_RUN) == job.run_name:
        return
    snap = job.snapshot()
    if snap.active:
        return
    st.session_state[ADOPTED_RUN] = job.run_name
    if snap.status in ("finished", "stopped"):
        st.session_state[RUN_SELECT] = job.run_name


def start_job(config, dataset: data_choice.Dataset, run_name: str | None = None, extra=None):
    """Start ``spamcore train`` on ``dataset`` as a process and remember it for this session (``extra``: messages
    written into the run folder for the trainer, see :meth:`spamcore.runs.jobs.JobManager.start`)."""
    path = data_choice.builtin_path() if dataset.kind == data_choice.BUILTIN else None
    job = job_manager().start(config, dataset.frame, dataset.name, run_name=run_name or None, data_path=path,
                              extra=extra)
    st.session_state[JOB_RUN] = job.run_name
    return job
