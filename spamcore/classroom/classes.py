"""A school's classes on one server: each with its own class code (what students type, or their QR code holds), its
own teacher code, rounds, board and runs folder.

An admin code (``$SPAMCORE_ADMIN_CODE``, or one made up and printed when the server starts) creates classes; the
teacher code of a class is shown once, when it is made, and stored only salted and hashed (``hashlib.scrypt``): a
copied database gives nobody a teacher's code. A laptop makes no classes and runs exactly as before: its rounds
have no class (:class:`~spamcore.classroom.store.ClassStore` with ``class_id`` None).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from spamcore.classroom.store import ClassError, ClassStore, classes, clean_text

SCHOOL_ENV = "SPAMCORE_SCHOOL"
ADMIN_CODE_ENV = "SPAMCORE_ADMIN_CODE"
#: Class codes avoid letters and digits that read alike on a projector (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 6
MAX_NAME_CHARS = 80
#: scrypt's cost: about 20 ms a check on a laptop core, so a guessed code costs its guesser too.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class SchoolClass:
    id: int
    name: str
    code: str
    created_at: float

    def runs_root(self, school_runs: str | os.PathLike[str]) -> Path:
        """This class's runs folder inside the school's. Example: class 3 → ``runs/classes/class-3``."""
        return Path(school_runs) / "classes" / f"class-{self.id}"


def school_mode() -> bool:
    """Whether this server carries a school's classes (``$SPAMCORE_SCHOOL=1``, set by ``spamcore app --school``)."""
    return os.environ.get(SCHOOL_ENV, "").strip().lower() in ("1", "true", "yes")


def hash_code(code: str, salt: bytes | None = None) -> str:
    """``salt$hash`` of a teacher code (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(code.strip().encode("utf-8"), salt=salt, **_SCRYPT)
    return f"{salt.hex()}${digest.hex()}"


def code_matches(code: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    try:
        return hmac.compare_digest(hash_code(code, bytes.fromhex(salt)), stored)
    except ValueError:
        return False


def normalise_class_code(code: str) -> str:
    """What a student typed, as stored: upper case, no spaces or dashes. Example: ``"ab3-k7q"`` → ``"AB3K7Q"``."""
    return re.sub(r"[\s-]+", "", str(code)).upper()[:12]


class School:
    """The classes of one database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, name: str) -> tuple[SchoolClass, str]:
        """A new class called ``name``; it and its teacher code (shown this once: only its hash is kept)."""
        name = clean_text(name, MAX_NAME_CHARS)
        if not name:
            raise ClassError("give the class a name, e.g. 8B computing")
        teacher_code = secrets.token_hex(4)
        for _ in range(20):  # a class code that is not taken yet (31^6 codes: a clash is rare)
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))
            try:
                with self.engine.begin() as conn:
                    new_id = conn.execute(sa.insert(classes).values(
                        name=name, code=code, teacher_hash=hash_code(teacher_code),
                        created_at=time.time())).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                continue
            return self.get(int(new_id)), teacher_code
        raise ClassError("could not find a free class code; try again")

    def new_teacher_code(self, class_id: int) -> str:
        """Replace a class's teacher code (a lost or shared one); the new code, shown this once."""
        code = secrets.token_hex(4)
        with self.engine.begin() as conn:
            if conn.execute(sa.update(classes).where(classes.c.id == class_id)
                            .values(teacher_hash=hash_code(code))).rowcount == 0:
                raise ClassError(f"no class {class_id}")
        return code

    def all(self) -> list[SchoolClass]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(classes.c.id, classes.c.name, classes.c.code, classes.c.created_at)
                                .order_by(classes.c.id)).all()
        return [SchoolClass(**row._mapping) for row in rows]

    def get(self, class_id: int) -> SchoolClass:
        found = next((c for c in self.all() if c.id == class_id), None)
        if found is None:
            raise ClassError(f"no class {class_id}")
        return found

    def by_code(self, code: str) -> SchoolClass | None:
        """The class whose class code is ``code`` (as a student types it), or None."""
        code = normalise_class_code(code)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(classes.c.id, classes.c.name, classes.c.code, classes.c.created_at)
                               .where(classes.c.code == code)).first()
        return SchoolClass(**row._mapping) if row else None

    def by_teacher_code(self, code: str) -> SchoolClass | None:
        """The class whose teacher code is ``code``, or None."""
        if not code.strip():
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(classes.c.id, classes.c.teacher_hash)).all()
        found = next((row.id for row in rows if code_matches(code, row.teacher_hash)), None)
        return self.get(found) if found is not None else None

    def store(self, class_id: int) -> ClassStore:
        """The rounds and messages of class ``class_id`` only."""
        self.get(class_id)
        return ClassStore(self.engine, class_id)
