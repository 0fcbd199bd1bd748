"""Train's live panel: everything drawn from one job snapshot, so no status on screen lags behind another."""

from __future__ import annotations

import streamlit as st

from spamcore.app.ui import charts, state
from spamcore.evaluation import figures
from spamcore.evaluation.history import epoch_table, overfitting_signals


def controls(job, snap) -> None:
    """Stop (a second press kills), the busy note and the stopping note."""
    stopping = snap.status == "stopping"
    st.button("Kill now" if stopping else "Stop", key="train_stop", icon=":material/stop:", on_click=job.stop,
              disabled=not snap.active,
              help="Kills the trainer at once (the best checkpoint so far stays)." if stopping else
                   "Ends training after the current step; the best checkpoint so far is kept.")
    if snap.active:
        st.warning(f"Start is off while a training runs — {snap.describe()}. One training at a time on this runs "
                   "folder: wait for it to finish, or stop it.", icon=":material/hourglass_top:")
    if stopping:
        st.info("Stopping: the trainer finishes its current step, keeps the best checkpoint and scores it…",
                icon=":material/stop_circle:")


def progress(snap) -> None:
    st.subheader(f"Run {snap.run_name}")
    model = state.model_label(snap.config.model, snap.config.extra_data)
    st.caption(f"{snap.config.recipe} recipe · {model} · {snap.data_name} · {snap.config.epochs} epochs · "
               f"status: {snap.status}")
    if snap.config.max_rows is not None and snap.config.max_rows >= snap.data_rows:
        st.info(f"Row limit {snap.config.max_rows:,} is not below the {snap.data_rows:,} messages of this data: "
                "training on all of them.", icon=":material/info:")
    eta = f"{snap.eta:.0f} s" if snap.eta is not None else "…"
    if snap.status == "queued" and (snap.queue_position is not None or snap.queue_note):
        st.info(f"Waiting for the school's training worker: {snap.waiting()}.", icon=":material/schedule:")
        return
    if not snap.active and snap.total_steps == 0:
        return  # ended before its first step: there is no progress to draw (the outcome says why)
    if snap.stage in ("loading", "queued"):
        st.progress(0.0, text=f"Loading the model… elapsed {snap.elapsed:.0f} s")
    elif snap.stage == "encoding":
        done = snap.stage_done / max(snap.stage_total, 1)
        st.progress(done, text=f"Encoding messages with the frozen BERT: {snap.stage_done:,}/{snap.stage_total:,} "
                               f"· elapsed {snap.elapsed:.0f} s")
    else:
        st.progress(snap.fraction, text=f"Step {snap.step:,}/{snap.total_steps:,} · epoch {snap.epoch}/"
                                        f"{snap.config.epochs} · elapsed {snap.elapsed:.0f} s · ETA {eta}")
    if snap.stage == "evaluating":
        st.caption("Scoring the test messages and saving the run…")


def _built_when_changed(name: str, progress_key: tuple, build):
    """``build()``, or this session's last result when the progress it was built from is unchanged: the panel is
    polled every second, and a poll without a new step or epoch rebuilds no chart and no table."""
    held = st.session_state.get(f"_live_{name}")
    if held is None or held[0] != progress_key:
        held = (progress_key, build())
        st.session_state[f"_live_{name}"] = held
    return held[1]


def losses(snap) -> None:
    """The live loss chart, the best-epoch note and the per-epoch table (none of them before the first step)."""
    if not snap.step_losses and not snap.epoch_records:
        return
    progress_key = (snap.run_name, len(snap.step_losses), len(snap.epoch_records))
    records = _built_when_changed("table", progress_key, lambda: epoch_table(snap.epoch_records))
    signals = overfitting_signals(snap.epoch_records)
    # The chart's cost does not grow with the steps: figures.loss_chart draws at most MAX_POINTS points per line.
    chart = _built_when_changed("chart", progress_key, lambda: figures.training_curves(
        snap.step_losses, snap.epoch_records, snap.steps_per_epoch, snap.config.epochs))
    charts.show(chart, key="chart_live_loss")
    st.caption(f"{len(snap.step_losses):,} steps plotted")
    if signals.best_epoch is not None:
        rose = ", ".join(map(str, signals.rising_epochs)) or "none so far"
        note = (f"Best epoch so far: **{signals.best_epoch}** (lowest validation loss "
                f"{signals.best_val_loss:.4f}; its weights are the ones kept). Validation loss rose at epochs: {rose}.")
        if signals.overfitting:
            note += (" Rising validation loss while training loss keeps falling is **overfitting**: the model "
                     "starts to learn the training messages by heart.")
        if snap.config.patience:
            note += f" Early stopping after {snap.config.patience} epochs without a new best."
        st.markdown(note)
    if len(records):
        st.dataframe(records, hide_index=True, width="stretch", key="train_epochs_table")


def outcome(snap) -> None:
    if snap.status == "failed":
        first, _, rest = (snap.error or "unknown error").partition("\n")
        st.error(f"Training failed: {first}", icon=":material/error:")
        if rest:
            st.code(rest, language=None, wrap_lines=True)
    elif snap.status == "stopped":
        st.warning(snap.error or "Stopped. The best checkpoint so far was kept and scored on the test set.",
                   icon=":material/stop_circle:")
    elif snap.status == "finished":
        st.success(f"Finished in {snap.elapsed:.0f} s. The run is selected in the sidebar: see **Evaluate** "
                   "and **Classify**.", icon=":material/check_circle:")
