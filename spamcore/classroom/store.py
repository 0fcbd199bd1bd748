"""The class's messages in a real database: rounds, submissions and the teacher's moderation.

SQLite by default — one file beside the runs folder (``class.sqlite3``), in WAL mode with a busy timeout, so many
app sessions (and several server processes) can write at once. ``SPAMCORE_DB=postgresql://user:pass@host/db``
points any number of app servers at one PostgreSQL instead (driver: psycopg 3). The same SQLAlchemy Core code runs
on both; the store tests run against both.

Schema changes are migrations: :data:`MIGRATIONS` lists each version's statements, applied in order once and
recorded in ``schema_version``. Never edit a released migration: add the next one.

Everything a student sends is stored as plain text; every view escapes it (nothing here renders HTML).
"""

from __future__ import annotations

import io
import os
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from spamcore.errors import SpamcoreError

DB_ENV = "SPAMCORE_DB"
DB_FILE = "class.sqlite3"
MAX_TEXT_CHARS = 1000
MAX_NICKNAME_CHARS = 24
#: Per session: at most this many submissions within RATE_WINDOW_S seconds.
RATE_LIMIT = 5
RATE_WINDOW_S = 30.0
LABELS = ("ham", "spam")
STATUSES = ("pending", "accepted", "rejected")
SOURCES = ("challenge", "report")

metadata = sa.MetaData()
schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, primary_key=True))
rounds = sa.Table(
    "rounds", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_name", sa.String(200), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float),
    sa.Column("retrained_run", sa.String(200)),
    # The class it belongs to on a school's server (spamcore.classroom.classes); NULL: the laptop's one class.
    sa.Column("class_id", sa.Integer, index=True),
)
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("nickname", sa.String(MAX_NICKNAME_CHARS), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("claimed", sa.String(4), nullable=False),  # what the student says it truly is
    sa.Column("verdict", sa.String(6), nullable=False),  # the model's: spam, ham or unsure
    sa.Column("spam_probability", sa.Float, nullable=False),
    sa.Column("fooled", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(8), nullable=False, default="pending"),
    sa.Column("source", sa.String(9), nullable=False, default="challenge"),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.UniqueConstraint("round_id", "text", name="one_text_per_round"),
)

classes = sa.Table(
    "classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("code", sa.String(12), nullable=False, unique=True),  # what students type (or their QR code holds)
    sa.Column("teacher_hash", sa.String(128), nullable=False),  # the teacher code, salted and hashed
    sa.Column("created_at", sa.Float, nullable=False),
)


def _rounds_class_column(conn: sa.Connection) -> None:
    """Version 2 on a database made before it: rounds gain ``class_id`` (a new database has it from version 1's
    table, which is defined as the code has it now)."""
    if "class_id" not in {c["name"] for c in sa.inspect(conn).get_columns("rounds")}:
        conn.execute(sa.text("ALTER TABLE rounds ADD COLUMN class_id INTEGER"))


#: version -> what creates it: tables (created when missing) and functions of a connection. Version 1 is the first
#: schema; version 2 adds a school's classes (issue 41).
MIGRATIONS: dict[int, Sequence] = {1: (rounds, submissions), 2: (classes, _rounds_class_column)}


class ClassError(SpamcoreError):
    """A submission or a moderation the store refuses, with the reason a person can act on."""


@dataclass(frozen=True)
class Round:
    id: int
    run_name: str
    started_at: float
    ended_at: float | None
    retrained_run: str | None
    class_id: int | None = None


def default_url(runs_root: str | os.PathLike[str] | None = None) -> str:
    """``$SPAMCORE_DB``, else a SQLite file beside the runs folder."""
    if os.environ.get(DB_ENV, "").strip():
        return os.environ[DB_ENV].strip()
    from spamcore.runs.layout import default_runs_root

    root = Path(runs_root) if runs_root is not None else default_runs_root()
    return f"sqlite:///{(root.resolve().parent / DB_FILE)}"


def open_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the schema migrated to the newest version."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, not the legacy psycopg2
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})

            @sa.event.listens_for(engine, "connect")
            def _pragmas(connection, _record) -> None:  # every new SQLite connection
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
                cursor.execute("PRAGMA busy_timeout=15000")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        migrate(engine)
    except (sa.exc.SQLAlchemyError, ModuleNotFoundError) as err:
        raise SpamcoreError(f"cannot open the class database {_safe(url)}: {str(err).splitlines()[0]}") from None
    return engine


def _safe(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def migrate(engine: sa.Engine) -> int:
    """Apply the migrations this database has not had yet; the version it ends at."""
    with engine.begin() as conn:
        schema_version.create(conn, checkfirst=True)
        current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
        for version in sorted(v for v in MIGRATIONS if v > current):
            for step in MIGRATIONS[version]:
                if isinstance(step, sa.Table):
                    step.create(conn, checkfirst=True)
                else:
                    step(conn)
            conn.execute(sa.insert(schema_version).values(version=version))
            current = version
    return current


def clean_text(text: str, limit: int) -> str:
    """``text`` without control characters (newlines and tabs become spaces), stripped, at most ``limit`` long."""
    kept = "".join(" " if c in "\n\t\r" else c for c in str(text)
                   if c in "\n\t\r" or unicodedata.category(c) not in ("Cc", "Cs"))
    return " ".join(kept.split())[:limit]


class ClassStore:
    """Rounds and submissions of one class: the laptop's (``class_id`` None) or one of a school's classes. Nothing
    here reads or changes another class's rounds or messages."""

    def __init__(self, engine: sa.Engine, class_id: int | None = None) -> None:
        self.engine = engine
        self.class_id = class_id

    def _our_rounds(self):
        return rounds.c.class_id.is_(None) if self.class_id is None else rounds.c.class_id == self.class_id

    def _ours(self):
        """Submissions of this class's rounds."""
        return submissions.c.round_id.in_(sa.select(rounds.c.id).where(self._our_rounds()))

    # ------------------------------------------------------------------------------------------------ rounds
    def start_round(self, run_name: str) -> Round:
        """A new round against ``run_name``; the one before it ends."""
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(sa.update(rounds).where(rounds.c.ended_at.is_(None), self._our_rounds()).values(ended_at=now))
            new_id = conn.execute(sa.insert(rounds).values(run_name=run_name, started_at=now,
                                                           class_id=self.class_id)).inserted_primary_key[0]
        return self.round(new_id)

    def current_round(self) -> Round | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(rounds).where(rounds.c.ended_at.is_(None), self._our_rounds())
                               .order_by(rounds.c.id.desc()).limit(1)).first()
        return Round(**row._mapping) if row else None

    def round(self, round_id: int) -> Round:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(rounds).where(rounds.c.id == round_id, self._our_rounds())).first()
        if row is None:
            raise ClassError(f"no class round {round_id}")
        return Round(**row._mapping)

    def rounds(self) -> list[Round]:
        with self.engine.connect() as conn:
            return [Round(**r._mapping) for r in conn.execute(sa.select(rounds).where(self._our_rounds())
                                                              .order_by(rounds.c.id))]

    def set_retrained(self, round_id: int, run_name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(rounds).where(rounds.c.id == round_id, self._our_rounds())
                         .values(retrained_run=run_name))

    # ------------------------------------------------------------------------------------------- submissions
    def submit(self, round_id: int, session_id: str, nickname: str, text: str, claimed: str, verdict: str,
               spam_probability: float, source: str = "challenge") -> int:
        """Store one attempt; its id. Refuses (:class:`ClassError`) empty text, a label that is not spam or ham,
        the same message twice in a round, and more than :data:`RATE_LIMIT` attempts per session in
        :data:`RATE_WINDOW_S` seconds."""
        text = clean_text(text, MAX_TEXT_CHARS)
        nickname = clean_text(nickname, MAX_NICKNAME_CHARS) or "anonymous"
        if not text:
            raise ClassError("write a message first")
        if claimed not in LABELS:
            raise ClassError("say whether your message is truly spam or ham")
        if verdict not in (*LABELS, "unsure") or source not in SOURCES:
            raise ClassError(f"unknown verdict {verdict!r} or source {source!r}")
        self.round(round_id)  # this class's round, or a clear error
        now = time.time()
        with self.engine.begin() as conn:
            recent = conn.execute(sa.select(sa.func.count()).select_from(submissions).where(
                submissions.c.session_id == session_id, submissions.c.created_at > now - RATE_WINDOW_S)).scalar()
            if recent >= RATE_LIMIT:
                raise ClassError(f"slow down: at most {RATE_LIMIT} messages in {RATE_WINDOW_S:.0f} seconds")
            try:
                with conn.begin_nested():
                    result = conn.execute(sa.insert(submissions).values(
                        round_id=round_id, session_id=session_id[:64], nickname=nickname, text=text,
                        claimed=claimed, verdict=verdict, spam_probability=float(spam_probability),
                        fooled=verdict != "unsure" and verdict != claimed, status="pending", source=source,
                        created_at=now))
            except sa.exc.IntegrityError:
                raise ClassError("someone already sent exactly this message in this round: change it") from None
        return int(result.inserted_primary_key[0])

    def moderate(self, submission_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ClassError(f"status must be one of {', '.join(STATUSES)}")
        with self.engine.begin() as conn:
            if conn.execute(sa.update(submissions).where(submissions.c.id == submission_id, self._ours())
                            .values(status=status)).rowcount == 0:
                raise ClassError(f"no message {submission_id}")

    def delete(self, submission_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(submissions).where(submissions.c.id == submission_id, self._ours()))

    # ------------------------------------------------------------------ moderation of many rows, with an undo
    def rows(self, ids: Sequence[int]) -> list[dict]:
        """The stored rows of ``ids`` (as dicts), for an undo."""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(submissions).where(
                submissions.c.id.in_([int(i) for i in ids]), self._ours())).mappings()]

    def moderate_many(self, ids: Sequence[int], status: str) -> list[dict]:
        """Set ``status`` on every message of ``ids`` in one transaction; the rows as they were (see
        :meth:`restore`)."""
        if status not in STATUSES:
            raise ClassError(f"status must be one of {', '.join(STATUSES)}")
        before = self.rows(ids)
        with self.engine.begin() as conn:
            conn.execute(sa.update(submissions).where(submissions.c.id.in_([r["id"] for r in before]))
                         .values(status=status))
        return before

    def flip_labels(self, ids: Sequence[int]) -> list[dict]:
        """Swap what the students said their messages truly are (spam ↔ ham), for a useful message labelled
        wrongly; whether it fooled the model follows. The rows as they were."""
        before = self.rows(ids)
        with self.engine.begin() as conn:
            for row in before:
                claimed = "ham" if row["claimed"] == "spam" else "spam"
                conn.execute(sa.update(submissions).where(submissions.c.id == row["id"]).values(
                    claimed=claimed, fooled=row["verdict"] != "unsure" and row["verdict"] != claimed))
        return before

    def delete_many(self, ids: Sequence[int]) -> list[dict]:
        """Delete the messages ``ids``; the rows as they were."""
        before = self.rows(ids)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(submissions).where(submissions.c.id.in_([r["id"] for r in before])))
        return before

    def restore(self, rows: Sequence[dict]) -> None:
        """Put ``rows`` back exactly as they were (undoes :meth:`moderate_many`, :meth:`flip_labels` and
        :meth:`delete_many`)."""
        ours = {r.id for r in self.rounds()}
        if any(int(r["round_id"]) not in ours for r in rows):
            raise ClassError("those messages belong to another class")
        with self.engine.begin() as conn:
            conn.execute(sa.delete(submissions).where(submissions.c.id.in_([r["id"] for r in rows])))
            if rows:
                conn.execute(sa.insert(submissions), [dict(r) for r in rows])

    def frame(self, round_id: int | None = None) -> pd.DataFrame:
        """Submissions (one round, or all), newest first, ``fooled`` counted by the checked label.

        A person's checked label is the truth (verified model error, as ANLI and Dynabench report it): a message the
        teacher rejected fooled nobody, a flipped one is scored against its corrected label (:meth:`flip_labels`),
        and a pending one counts until it is checked, with ``verified`` False so that the board can say so. Every
        figure of the round (board, leaderboard, fooled-rate curve, lesson report) reads this frame."""
        query = (sa.select(submissions).where(self._ours())
                 .order_by(submissions.c.created_at.desc(), submissions.c.id.desc()))
        if round_id is not None:
            query = query.where(submissions.c.round_id == round_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        frame = pd.DataFrame(rows, columns=[c.name for c in submissions.columns])
        frame["fooled"] = frame["fooled"].astype(bool) & frame["status"].ne("rejected")
        frame["verified"] = frame["status"].ne("pending")
        return frame

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(submissions).where(self._ours())).scalar())


def open_store(url: str | None = None, class_id: int | None = None) -> ClassStore:
    return ClassStore(open_engine(url or default_url()), class_id)


# ----------------------------------------------------------------------------------------------- summaries
def leaderboard(frame: pd.DataFrame) -> pd.DataFrame:
    """Per nickname: attempts, times the model was fooled, and (of those) accepted by the teacher."""
    if frame.empty:
        return pd.DataFrame(columns=["nickname", "attempts", "fooled", "accepted"])
    marked = frame.assign(accepted=frame["status"].eq("accepted"))  # built-in sums: no Python call per group
    table = marked.groupby("nickname").agg(attempts=("id", "size"), fooled=("fooled", "sum"),
                                           accepted=("accepted", "sum"))
    table = table.astype({"fooled": int, "accepted": int})
    return table.reset_index().sort_values(["fooled", "accepted", "attempts"], ascending=[False, False, True])


def fooled_over_time(frame: pd.DataFrame, bucket_s: float = 60.0) -> pd.DataFrame:
    """Attempts and the share that fooled the model, per ``bucket_s`` seconds since the first attempt."""
    if frame.empty:
        return pd.DataFrame(columns=["minute", "attempts", "fooled_rate"])
    minutes = ((frame["created_at"] - frame["created_at"].min()) // bucket_s).astype(int)
    grouped = frame.assign(minute=minutes).groupby("minute")
    return pd.DataFrame({"attempts": grouped.size(), "fooled_rate": grouped["fooled"].mean()}).reset_index()


def split_for_training(frame: pd.DataFrame, every: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted messages as ``(train, held_out)``: every ``every``-th (by id) is held out, so the model is never
    scored on what it has just learned from."""
    accepted = frame[frame["status"] == "accepted"].sort_values("id")
    held = (accepted["id"] % every) == 0
    labelled = accepted.assign(label=(accepted["claimed"] == "spam").astype(int))[["text", "label", "id"]]
    return labelled[~held.to_numpy()].reset_index(drop=True), labelled[held.to_numpy()].reset_index(drop=True)


#: What a moderation action applies to: the rows the teacher selected, or every pending message (that fooled it).
SCOPES = ("selected rows", "every pending message", "every pending message that fooled it")


def moderation_targets(frame: pd.DataFrame, scope: str, selected: Sequence[int] = ()) -> list[int]:
    """The ids a moderation action applies to, in id order.

    Example: with messages 1 (pending, fooled), 2 (accepted) and 3 (pending), ``"every pending message"`` gives
    ``[1, 3]`` and ``"selected rows"`` with ``selected=[2]`` gives ``[2]``.
    """
    if scope == SCOPES[0]:
        return sorted(int(i) for i in selected if int(i) in set(frame["id"]))
    pending = frame[frame["status"] == "pending"]
    if scope == SCOPES[2]:
        pending = pending[pending["fooled"]]
    elif scope != SCOPES[1]:
        raise ClassError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    return sorted(int(i) for i in pending["id"])


def to_csv(frame: pd.DataFrame) -> bytes:
    """The class's messages as CSV (text escaped against spreadsheet formulas)."""
    from spamcore.data.message_io import escape_formula

    out = frame.copy()
    out["created"] = [datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds") for t in out["created_at"]]
    out = out.drop(columns=["created_at", "session_id"])
    for column in ("text", "nickname"):
        out[column] = out[column].map(escape_formula)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
