"""Runs: the history of trained runs — compare loss curves and scores, download or delete a run, load it elsewhere."""

import streamlit as st

from spamcore.app.ui import charts, state
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures
from spamcore.runs.report import build_report
from spamcore.runs.store import delete_run, list_runs, pipeline_snippet, run_table, zip_run


def report_bytes(path) -> bytes:
    """The run's HTML report, built when the button is clicked (a few MB: Plotly's script is inside)."""
    return build_report(path).encode("utf-8")


def delete(name: str) -> None:
    """Button callback (before the rerun draws anything): delete the run and clear the confirmation."""
    try:
        delete_run(state.runs_root(), name)
    except SpamcoreError as err:
        st.session_state["runs_delete_error"] = str(err)
    else:
        st.session_state["runs_deleted"] = name
    st.session_state["runs_confirm"] = False


def runs_table(runs: list, root) -> object:
    table = run_table(runs)
    st.caption(f"{len(runs)} runs in {root}, newest first. Scores are on each run's own test messages at threshold "
               "0.5; the baseline is a TF-IDF + logistic-regression classifier trained on the same split.")
    st.dataframe(table, hide_index=True, width="stretch", key="runs_table", column_config={
        "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
        "seconds": st.column_config.NumberColumn("training time (s)", format="%.1f"),
        "trainable parameters": st.column_config.NumberColumn(format="localized"),
        **{c: st.column_config.NumberColumn(format="%.3f")
           for c in ("test accuracy", "test spam F1", "baseline spam F1", "threshold")},
    })
    return table


def compare(table, by_name: dict) -> None:
    st.subheader("Compare runs")
    names = list(by_name)
    # The two newest at first; later, the user's choice without runs deleted since.
    st.session_state["runs_compare"] = [n for n in st.session_state.get("runs_compare", names[:2]) if n in by_name]
    picked = st.multiselect("Runs to compare (two or more)", names, key="runs_compare")
    if len(picked) < 2:
        st.info("Pick two or more runs to overlay their loss curves.", icon=":material/info:")
        return
    charts.show(figures.overlay_losses({n: by_name[n].history().get("epochs", []) for n in picked}),
                key="chart_runs_overlay")
    st.dataframe(table[table["run"].isin(picked)][["run", "recipe", "epochs", "best epoch", "seconds",
                                                   "trainable parameters", "test accuracy", "test spam F1",
                                                   "baseline spam F1"]],
                 hide_index=True, width="stretch", key="runs_compare_table",
                 column_config={"seconds": st.column_config.NumberColumn("training time (s)", format="%.1f"),
                                "test accuracy": st.column_config.NumberColumn(format="%.3f"),
                                "test spam F1": st.column_config.NumberColumn(format="%.3f"),
                                "baseline spam F1": st.column_config.NumberColumn(format="%.3f"),
                                "trainable parameters": st.column_config.NumberColumn(format="localized")})


def one_run(by_name: dict) -> None:
    st.subheader("One run")
    name = st.selectbox("Run", list(by_name), key="runs_target")
    run = by_name[name]
    download, remove = st.columns(2, gap="large")
    with download:
        st.download_button("Download the run as a zip", lambda path=run.path: zip_run(path),
                           file_name=f"{run.name}.zip", mime="application/zip", key="runs_download",
                           icon=":material/download:",
                           help="Weights, tokenizer, settings, history, metrics and test predictions")
        if run.metrics:
            st.download_button("Download the report (HTML)", lambda path=run.path: report_bytes(path),
                               file_name=f"{run.name}-report.html", mime="text/html", key="runs_report",
                               icon=":material/description:", on_click="ignore",
                               help="One file that opens offline in any browser: data, curves, test report, "
                                    "confusion matrices, the robustness suite, mistakes, settings, versions and the "
                                    "data citation. Same as: spamcore report RUN -o report.html")
    with remove:
        sure = st.checkbox(f"Yes, delete {run.name} and its files for good", key="runs_confirm")
        st.button("Delete run", key="runs_delete", icon=":material/delete:", disabled=not sure,
                  on_click=delete, args=(run.name,))
        failed = st.session_state.pop("runs_delete_error", None)
        if failed:
            st.error(failed, icon=":material/error:")
    use_elsewhere(run)


def use_elsewhere(run) -> None:
    snippet = pipeline_snippet(run)
    if snippet:
        st.markdown("**Use it in your own Python** — a `finetune` run is a standard Hugging Face model folder:")
        st.code(snippet, language=None, wrap_lines=True)  # plain: the highlighter's colours fail WCAG AA
    else:
        st.caption("A `frozen` run keeps only its small head (the encoder is the base model); load it with "
                   f"`spamcore.model.pretrained.from_pretrained({str(run.path.resolve())!r})`.")


def page() -> None:
    st.title("Runs")
    root = state.runs_root()
    runs = list_runs(root)
    if not runs:
        st.info(f"No runs yet in {root}. Train one on the **Train** page.", icon=":material/info:")
        return
    deleted = st.session_state.pop("runs_deleted", None)
    if deleted:
        st.success(f"Deleted run {deleted}.", icon=":material/delete:")
    table = runs_table(runs, root)
    by_name = {r.name: r for r in runs}
    compare(table, by_name)
    one_run(by_name)


page()
