"""Headless Chromium and Streamlit helpers shared by the browser tests and the benchmarks (kept out of both, so
neither imports the other)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy within {timeout} s")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every process below it in its session (make, then streamlit).

    A trainer the server launched runs in a session of its own and is not counted: this is the server's cost.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        session = os.getsid(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in tree:
        try:
            if os.getsid(process.pid) != session:
                continue
            times = process.cpu_times()
            total += times.user + times.system
        except (psutil.Error, OSError):
            continue
    return total
