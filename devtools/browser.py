"""Headless Chromium and Streamlit helpers shared by the browser tests and the benchmarks (kept out of both, so
neither imports the other)."""

from __future__ import annotations

import contextlib
import os
import signal
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


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90.0, health: str = "/_stcore/health") -> None:
    """Wait until ``url + health`` answers 200 (Streamlit's health check by default; ``spamcore serve`` has
    ``/v2/health/ready``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}{health}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or 503 while it loads
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not become healthy within {timeout} s")


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


@contextlib.contextmanager
def running_server(command: list[str], url: str, *, cwd, env: dict, log_path, own_session: bool = False,
                   health: str = "/_stcore/health"):
    """Start a web server ``command`` (output to ``log_path``), wait until ``url`` answers healthy, yield the process;
    on exit terminate it — its whole session with ``own_session`` (``make``'s children too) — then kill it if need
    be."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=own_session)
    try:
        wait_healthy(url, server, health=health)
        yield server
    finally:
        if own_session:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
        else:
            server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def open_page(playwright, url: str, width: int = 1440, height: int = 1200, timeout_ms: int = 90_000):
    """Headless Chromium on ``url``, waited until the page has its heading; returns ``(browser, page)``."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    page.wait_for_selector("h1")
    return browser, page
