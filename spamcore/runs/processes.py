"""Background processes the app starts and watches: training jobs and the masked-word head's training.

Both are the ``spamcore`` command run as its own process — own session (it outlives a restart of the server),
niced (it yields the CPU to the server's verdicts), output to a log file — and both say they are alive the same
way: the process holds an ``flock`` on a lock file for its whole life, released by the kernel however it ends,
so a dead process can never look alive. A process just launched is still importing torch and has not locked yet:
for :data:`START_GRACE` seconds its pid answers for it.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from spamcore.errors import ConfigError

#: Seconds a launched process may take to take its lock before a dead process counts as ended.
START_GRACE = 120.0


def launcher_prefix() -> list[str]:
    """The command that runs ``spamcore``: ``$SPAMCORE_LAUNCHER`` split like a shell would, else this Python with
    ``-m spamcore``. Example: ``SPAMCORE_LAUNCHER="accelerate launch --num_processes 8 -m spamcore"``."""
    raw = os.environ.get("SPAMCORE_LAUNCHER", "").strip()
    return shlex.split(raw) if raw else [sys.executable, "-m", "spamcore"]


def trainer_niceness() -> int:
    """``$SPAMCORE_TRAINER_NICE`` (default 10): background training yields the CPU to the server's verdicts."""
    raw = os.environ.get("SPAMCORE_TRAINER_NICE", "10").strip()
    try:
        return max(0, min(19, int(raw)))
    except ValueError:
        raise ConfigError(f"SPAMCORE_TRAINER_NICE must be a whole number from 0 to 19; got {raw!r}") from None


def launch(command: Sequence[str], log: Path, *, pass_fds: Sequence[int] = ()) -> subprocess.Popen:
    """Start ``command`` niced, in a session of its own, stdout and stderr appended to ``log``."""
    command = list(command)
    nice = trainer_niceness()
    if nice and shutil.which("nice"):  # nice execs the command: the pid stays the process's own
        command = ["nice", "-n", str(nice), *command]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, pass_fds=tuple(pass_fds),
            start_new_session=True,  # it outlives a restart (or crash) of the server
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def hold_lock(path: Path) -> int:
    """Lock ``path`` for the life of this process (the launched process calls this); returns the fd."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def is_locked(path: Path) -> bool:
    """Whether another process holds an flock on ``path`` (False when the file does not exist)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def process_alive(lock: Path, pid: int | None, started: float, process: subprocess.Popen | None = None) -> bool:
    """Whether the process launched at ``started`` with ``pid`` still lives: it holds ``lock``; or this server
    launched it (``process``) and it has not exited; or it is within its start grace and its pid is alive."""
    if is_locked(lock):
        return True
    if process is not None:
        return process.poll() is None
    return pid_alive(pid) and time.time() - started < START_GRACE


def pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` names a live process (a zombie, exited but not yet reaped, is not alive)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
