"""Class board (teacher): start a round against a run, show students where to go, watch the attempts, moderate
the labels, learn from the class, and compare before with after."""

import pandas as pd
import streamlit as st

from spamcore.app.ui import charts, classroom, data_choice, jobs, state
from spamcore.classroom.lesson import lesson_csv, lesson_html, round_summary, trick_table
from spamcore.classroom.rounds import (
    FORGETTING_TOLERANCE,
    TEST_F1,
    class_file_name,
    comparison_key,
    forgetting,
    read_comparison,
    replay_data,
    retrain_config,
)
from spamcore.classroom.store import (
    SCOPES,
    ClassError,
    fooled_over_time,
    leaderboard,
    moderation_targets,
    split_for_training,
    to_csv,
)
from spamcore.errors import SpamcoreError
from spamcore.evaluation import figures


def round_controls(current) -> None:
    runs = state.finished_runs()
    if not runs:
        st.info("Train a run first (Train page): students attack a finished run.", icon=":material/info:")
        return
    names = [r.name for r in runs]
    default = state.selected_run().name if state.selected_run() else names[0]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    target = c1.selectbox("Run the class attacks", names, index=names.index(default), key="board_run")
    if c2.button("Start a new round", key="board_start", type="primary", icon=":material/flag:"):
        classroom.store().start_round(target)
        st.rerun()
    if current is not None:
        st.caption(f"Round {current.id} attacks run **{current.run_name}** (started "
                   f"{pd.Timestamp(current.started_at, unit='s'):%H:%M}).")


def where_to_go() -> None:
    url = classroom.student_url()
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.image(classroom.qr_png(url), width=200)
    c2.markdown(f"### Students open\n## `{url}`")
    c2.caption("On the same network as this computer. Students see only Challenge and Classify; everything that "
               "changes the app needs the teacher code printed in the terminal running the app.")


def live(frame: pd.DataFrame) -> None:
    """Attempts so far, the messages that fooled it, the leaderboard and the fooled rate per minute."""
    fooled = frame[frame["fooled"]]
    unverified = int((~fooled["verified"]).sum())
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Attempts", f"{len(frame):,}")
    m2.metric("Fooled the model", f"{len(fooled):,}" + (f" ({unverified:,} unverified)" if unverified else ""))
    m3.metric("Fooled rate", f"{fooled_share(frame):.0%}" + (" (unverified)" if unverified else ""))
    m4.metric("Students", f"{frame['session_id'].nunique():,}")
    if unverified:
        st.caption(f"{unverified:,} of the messages that fooled it are unverified: they count by the student's label "
                   "until you check it below. A rejected message fooled nobody; a flipped one counts by its "
                   "corrected label.")
    if frame.empty:
        st.info("No attempts yet.", icon=":material/hourglass_top:")
        return
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Messages that fooled it** (newest first)")
        st.dataframe(fooled[["nickname", "text", "claimed", "verdict", "spam_probability", "status"]],
                     hide_index=True, width="stretch", key="board_fooled",
                     column_config={"text": st.column_config.TextColumn("message", width="large")})
    with right:
        st.markdown("**Leaderboard**")
        leaders, over_time = live_tables(tuple(frame[["id", "nickname", "fooled", "status", "created_at"]]
                                               .itertuples(index=False, name=None)))
        st.dataframe(leaders, hide_index=True, width="stretch", key="board_leaders")
        fig = rate_figure(*over_time)
        charts.show(fig, key="board_rate")


@st.cache_resource(max_entries=16, show_spinner=False)
def live_tables(rows: tuple) -> tuple[pd.DataFrame, tuple]:
    """The leaderboard and the fooled rate per minute, once per distinct state of the round (a redraw with nothing
    new reuses them); read-only."""
    frame = pd.DataFrame(list(rows), columns=["id", "nickname", "fooled", "status", "created_at"])
    over_time = fooled_over_time(frame)
    return leaderboard(frame), (tuple(over_time["minute"]), tuple(over_time["fooled_rate"]),
                                tuple(over_time["attempts"]))


@st.cache_resource(max_entries=16, show_spinner=False)
def rate_figure(minutes: tuple, rates: tuple, attempts: tuple):
    """Built once per distinct curve (go.Figure validates every property: ~5 ms a redraw otherwise); read-only."""
    return figures.fooled_rate(minutes, rates, attempts)


def fooled_share(frame: pd.DataFrame) -> float:
    return float(frame["fooled"].mean()) if len(frame) else 0.0


def moderation(round_, frame: pd.DataFrame) -> None:
    st.subheader("Check the labels")
    st.caption("Accept a message only when its label (what the student says it truly is) is right: the model "
               "learns from accepted messages only. Flip the label of a useful message the student labelled wrongly.")
    # Oldest first: a new message joins at the bottom, so the rows a teacher selected stay where they were.
    table = frame.sort_values("id").reset_index(drop=True)
    version = st.session_state.get(TABLE_VERSION, 0)  # a new key after each action clears the selection
    event = st.dataframe(table[["id", "nickname", "text", "claimed", "verdict", "fooled", "status"]],
                         hide_index=True, width="stretch", key=f"board_messages_{version}", on_select="rerun",
                         selection_mode="multi-row",
                         column_config={"text": st.column_config.TextColumn("message", width="large")})
    selected = [int(table.loc[row, "id"]) for row in event.selection.rows if row < len(table)]
    scope = st.radio("Act on", SCOPES, horizontal=True, key="board_scope",
                     help="Select rows by ticking them in the table, or act on every pending message at once.")
    ids = moderation_targets(table, scope, selected)
    st.caption(f"{len(ids)} message(s): " + (", ".join(f"#{i}" for i in ids[:30]) + (" …" if len(ids) > 30 else "")
                                             if ids else "none chosen"))
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    c1.button("Accept", key="board_accept", disabled=not ids, on_click=act, args=("accepted", ids))
    c2.button("Reject", key="board_reject", disabled=not ids, on_click=act, args=("rejected", ids))
    c3.button("Flip label", key="board_flip", disabled=not ids, on_click=act, args=("flip", ids))
    c4.button("Delete", key="board_delete", disabled=not ids, on_click=act, args=("delete", ids))
    undo = st.session_state.get(UNDO)
    c5.button(f"Undo {undo[0]}" if undo else "Undo", key="board_undo", disabled=not undo, on_click=undo_last,
              icon=":material/undo:")
    c6.download_button("Export as CSV", lambda: to_csv(frame),  # made when clicked, not on every redraw
                       file_name=f"class-round-{round_.id}.csv", mime="text/csv", key="board_export",
                       icon=":material/download:")


TABLE_VERSION, UNDO = "board_table_version", "board_undo_rows"  # never a widget key: a callback writes them
#: Seconds between the board's redraws: live enough for a class, cheap enough for a laptop (under 2 % of a core in
#: every stage of a round, tests/test_browser_board_cost.py; at 5 s a fresh-clone CI run measured 2-3 %).
REDRAW_SECONDS = 10
ACTIONS = {"accepted": "accept", "rejected": "reject", "flip": "label flip", "delete": "delete"}


def act(action: str, ids: list[int]) -> None:
    """Accept, reject, flip or delete messages ``ids`` (a button callback: it runs before the page is drawn again),
    keep what they were for an undo, and clear the selection."""
    store = classroom.store()
    if action == "delete":
        before = store.delete_many(ids)
    elif action == "flip":
        before = store.flip_labels(ids)
    else:
        before = store.moderate_many(ids, action)
    st.session_state[UNDO] = (f"{ACTIONS[action]} of {len(before)}", before)
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1


def undo_last() -> None:
    _, rows = st.session_state.pop(UNDO)
    classroom.store().restore(rows)
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1


def learn(round_, train: pd.DataFrame, held_out: pd.DataFrame) -> None:
    st.subheader("Learn from the class")
    st.caption(f"{len(train):,} accepted messages to learn from, {len(held_out):,} held out to test the new model "
               "(never trained on). The new model continues from the attacked run and replays a sample of the "
               "original messages so it does not forget.")
    if st.button("Retrain on the class's messages", key="board_retrain", icon=":material/school:",
                 disabled=train.empty):
        try:
            run = classroom.round_run(round_)
            builtin = data_choice.builtin_dataset()
            replay = data_choice.Dataset(replay_data(builtin.frame), "SMS collection, training split (replay)",
                                         data_choice.UPLOAD)
            class_file = class_file_name(round_.id)
            job = jobs.start_job(retrain_config(run), replay,
                                 f"class-round-{round_.id}-{pd.Timestamp.now():%H%M%S}", extra={class_file: train})
            classroom.store().set_retrained(round_.id, job.run_name)
        except (SpamcoreError, ClassError) as err:
            state.show_error(err)
        else:
            st.success(f"Training {job.run_name}: watch it on **Train**.", icon=":material/model_training:")
    if round_.retrained_run:
        comparison(round_, held_out)


def comparison(round_, held_out: pd.DataFrame) -> None:
    """The stored before → after of the retrained run; computed once, in the background, never on a redraw."""
    from spamcore.runs.layout import run_path
    from spamcore.runs.store import read_run

    try:
        after_info = read_run(run_path(state.runs_root(), round_.retrained_run))
    except SpamcoreError:
        st.caption(f"{round_.retrained_run}: not written yet.")
        return
    if not after_info.usable:
        st.caption(f"{round_.retrained_run} is {after_info.status}: the comparison appears when it has finished.")
        return
    before_info = classroom.round_run(round_)
    key = comparison_key(before_info.name, after_info.name, held_out)
    table = read_comparison(after_info.path, key)
    if table is None:
        error = classroom.comparison_error(key)
        if error:
            st.error(f"The comparison failed: {error}", icon=":material/error:")
            return
        from spamcore.data.messages import split_dataset

        classroom.start_comparison(before_info, after_info, held_out,
                                   split_dataset(data_choice.builtin_dataset().frame).test, key)
        st.info("Comparing before and after on the held-out class messages, the original test split and the "
                "robustness suite (once; about half a minute)…", icon=":material/hourglass_top:")
        return
    st.markdown(f"**Before → after** ({before_info.name} → {after_info.name}), on the same messages for both")
    st.dataframe(table, width="stretch", key="board_before_after",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("before", "after")})
    lost = forgetting(table)
    if lost is not None:
        st.warning(f"It forgot some of what it knew: spam F1 on the original test split fell by {lost:.3f} "
                   f"({table.loc[TEST_F1, 'before']:.3f} → {table.loc[TEST_F1, 'after']:.3f}).",
                   icon=":material/warning:")
    else:
        st.caption(f"No forgetting: spam F1 on the original test split {table.loc[TEST_F1, 'before']:.3f} → "
                   f"{table.loc[TEST_F1, 'after']:.3f} (a drop above {FORGETTING_TOLERANCE} would be flagged).")
    if st.button(f"Start the next round against {after_info.name}", key="board_next_round", icon=":material/replay:"):
        classroom.store().start_round(after_info.name)
        st.rerun()


def end_of_lesson(round_, frame: pd.DataFrame, held_out: pd.DataFrame) -> None:
    """The round in numbers, which tricks worked, and the whole of it to take away (HTML and CSV, made on click)."""
    with st.expander("End of lesson: what this round came to", icon=":material/summarize:"):
        summary = round_summary(frame)
        st.markdown(f"{summary['attempts']:,} attempts by {summary['students']:,} students: "
                    f"{summary['fooled']:.0%} fooled the model, it was not sure about {summary['not sure']:.0%}.")
        rows = tuple(frame[["text", "claimed", "fooled", "verdict"]].itertuples(index=False, name=None))
        st.dataframe(tricks_of(rows), hide_index=True, width="stretch", key="board_tricks",
                     column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("fooled", "not sure")})
        comparison = stored_comparison(round_, held_out)
        c1, c2 = st.columns(2)
        c1.download_button("Lesson summary (HTML)", lambda: lesson_html(round_.id, round_.run_name, frame, comparison),
                           file_name=f"class-round-{round_.id}-summary.html", mime="text/html",
                           key="board_lesson_html", icon=":material/download:")
        c2.download_button("Lesson summary (CSV)", lambda: lesson_csv(frame, comparison),
                           file_name=f"class-round-{round_.id}-summary.csv", mime="text/csv",
                           key="board_lesson_csv", icon=":material/download:")


@st.cache_resource(max_entries=16, show_spinner=False)
def tricks_of(rows: tuple) -> pd.DataFrame:
    """The trick table, once per distinct set of messages (the board redraws every few seconds); read-only."""
    return trick_table(pd.DataFrame(list(rows), columns=["text", "claimed", "fooled", "verdict"]))


def stored_comparison(round_, held_out: pd.DataFrame):
    """The round's stored before → after, when its retrain has one (never computed here)."""
    from spamcore.runs.layout import run_path

    if not round_.retrained_run:
        return None
    key = comparison_key(round_.run_name, round_.retrained_run, held_out)
    return read_comparison(run_path(state.runs_root(), round_.retrained_run), key)


def page() -> None:
    st.title("Class board")
    current = classroom.current_round()
    round_controls(current)
    if current is None:
        return
    where_to_go()

    @st.fragment(run_every=REDRAW_SECONDS)
    def board() -> None:
        """Redrawn every few seconds: new attempts appear, new messages can be moderated (a selection stays), and a
        retrain started here shows its before → after without a reload. One read of the round and its messages per
        redraw serves every part, and nothing here scores a model (the before → after is read from a file)."""
        store = classroom.store()
        round_, frame = store.round(current.id), store.frame(current.id)
        live(frame)
        moderation(round_, frame)
        train, held_out = split_for_training(frame)
        learn(round_, train, held_out)
        end_of_lesson(round_, frame, held_out)

    board()

page()
