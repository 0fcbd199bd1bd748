"""Background processes the app starts and watches: training jobs and the masked-word head's training.

Both are the ``spamcore`` command run as its own process — in a process group of its own (it outlives a restart of
the server), at a lower priority (it yields the CPU to the server's verdicts), output to a log file — and both say
they are alive the same way: the process holds a lock on a lock file for its whole life, released by the operating
system however it ends, so a dead process can never look alive. A process just launched is still importing torch
and has not locked yet: for :data:`START_GRACE` seconds its pid answers for it.

The same on Windows, macOS and Linux: the locks are ``filelock``'s (``flock`` on POSIX, ``msvcrt`` locking on
Windows) and everything about a process by pid — alive or a zombie, its priority, its tree, its stop and kill — is
``psutil``'s. Nothing here imports a POSIX-only module.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
from filelock import BaseFileLock, FileLock, SoftFileLock, Timeout

from spamcore.errors import ConfigError

#: Seconds a launched process may take to take its lock before a dead process counts as ended.
START_GRACE = 120.0
WINDOWS = sys.platform == "win32"

#: Locks this process holds for its whole life (see :func:`hold_lock`): kept referenced so they are never released.
_HELD: list[BaseFileLock] = []


class LockHeld(Exception):
    """Another process holds the lock."""


def launcher_prefix() -> list[str]:
    """The command that runs ``spamcore``: ``$SPAMCORE_LAUNCHER`` split like a shell would, else this Python with
    ``-m spamcore``. Example: ``SPAMCORE_LAUNCHER="accelerate launch --num_processes 8 -m spamcore"``."""
    raw = os.environ.get("SPAMCORE_LAUNCHER", "").strip()
    return shlex.split(raw, posix=not WINDOWS) if raw else [sys.executable, "-m", "spamcore"]


def trainer_niceness() -> int:
    """``$SPAMCORE_TRAINER_NICE`` (default 10): background training yields the CPU to the server's verdicts."""
    raw = os.environ.get("SPAMCORE_TRAINER_NICE", "10").strip()
    try:
        return max(0, min(19, int(raw)))
    except ValueError:
        raise ConfigError(f"SPAMCORE_TRAINER_NICE must be a whole number from 0 to 19; got {raw!r}") from None


def _lower_priority(pid: int, nice: int) -> None:
    """Nice ``pid`` by ``nice`` (POSIX), or give it below-normal priority (Windows, which has classes, not levels).
    Done right after the start, while the process still imports torch; processes it starts later inherit it."""
    if not nice:
        return
    try:
        process = psutil.Process(pid)
        process.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS if WINDOWS else nice)
    except (psutil.Error, OSError):
        pass  # it may have ended already; its priority is a courtesy, not a condition


def launch(command: Sequence[str], log: Path) -> subprocess.Popen:
    """Start ``command`` at a lower priority, in a process group of its own, stdout and stderr appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # Its own group: it outlives a restart (or crash) of the server, and Ctrl-C in the server's terminal is not its.
    group = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if WINDOWS  # type: ignore[attr-defined]
             else {"start_new_session": True})
    with open(log, "ab") as out:
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, **group,
        )
    _lower_priority(process.pid, trainer_niceness())
    return process


def file_lock(path: Path, timeout: float = -1) -> BaseFileLock:
    """An OS file lock on ``path``, held by the whole process (not one thread).

    The file stays after release: deleting it could let a second process lock a new file of the same name while the
    first still holds the old one. Where the platform has no OS locks, filelock falls back to a marker file whose
    removal is the release, so it is removed there.
    """
    if issubclass(FileLock, SoftFileLock):
        return FileLock(path, timeout=timeout, thread_local=False)
    return FileLock(path, timeout=timeout, thread_local=False, preserve_lock_file=True)


def hold_lock(path: Path) -> BaseFileLock:
    """Lock ``path`` for the life of this process (the launched process calls this); raises :class:`LockHeld` when
    another process holds it. The operating system releases it when the process ends, however it ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = file_lock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise LockHeld(str(path)) from None
    _HELD.append(lock)
    return lock


def is_locked(path: Path) -> bool:
    """Whether a process holds the lock on ``path`` (False when the file does not exist)."""
    if not path.exists():
        return False
    if any(Path(lock.lock_file) == path and lock.is_locked for lock in _HELD):
        return True  # this process holds it (a trainer run in-process, as the tests do)
    lock = file_lock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


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
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def signal_tree(pid: int, *, kill: bool) -> None:
    """Stop (``kill=False``: SIGTERM on POSIX, which the trainer turns into a stop after its current step) or kill
    the process ``pid`` and every process it started (a launcher's workers). On Windows a stop is the run folder's
    stop marker, which the trainer reads itself, so only a kill signals there."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    if WINDOWS and not kill:
        return
    for process in tree:
        with contextlib.suppress(psutil.Error):  # ended meanwhile, or not ours to signal
            process.kill() if kill else process.terminate()
