"""Nothing leaves the laptop: ``spamcore app`` in a network namespace of its own with no route out (loopback only)
serves its pages, looks nothing up, holds no connection to another address, and its terminal says spamcore's own
lines only — the URL, the runs folder, the teacher code (issue 31).

Streamlit's welcome lines used to look the machine's address up on a public service; with no route out the terminal
said "Did not auto detect external IP. Please go to https://docs.streamlit.io/"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

#: Run inside the namespace: start the app, open its page and its health check, then report what it printed and
#: every connection it held to an address other than loopback.
PROBE = textwrap.dedent("""
    import json, os, subprocess, sys, time, urllib.request
    import psutil
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    log = open(sys.argv[1], "w")
    proc = subprocess.Popen([sys.executable, "-m", "spamcore", "app", "--port", "8765"], stdout=log,
                            stderr=subprocess.STDOUT)
    opened, connections = False, []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not opened:
        try:
            opened = b"<html" in urllib.request.urlopen("http://127.0.0.1:8765/", timeout=2).read().lower()
            urllib.request.urlopen("http://127.0.0.1:8765/_stcore/health", timeout=2).read()
        except OSError:
            time.sleep(0.5)
    end = time.monotonic() + 8  # the start-up and the first page: any lookup would be made by now
    while time.monotonic() < end:
        for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
            for c in p.net_connections(kind="inet"):
                if c.raddr and not (c.raddr.ip.startswith("127.") or c.raddr.ip == "::1"):
                    connections.append(f"{c.raddr.ip}:{c.raddr.port}")
        time.sleep(0.5)
    proc.terminate()
    proc.wait(30)
    print(json.dumps({"opened": opened, "connections": sorted(set(connections))}))
""")


def test_spamcore_app_makes_no_outbound_request_and_prints_its_own_lines(tmp_path):
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to make a network namespace with no route out")
    import json

    log = tmp_path / "app.log"
    env = {**os.environ, "SPAMCORE_RUNS": str(tmp_path / "runs"), "SPAMCORE_CACHE": str(tmp_path / "cache"),
           "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(["unshare", "--net", sys.executable, "-c", PROBE, str(log)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    printed = log.read_text()
    assert result["opened"], printed
    assert result["connections"] == [], result
    assert "external IP" not in printed and "docs.streamlit.io" not in printed, printed
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    assert any(line.startswith("spamcore ") and "http://localhost:8765" in line for line in lines), printed
    assert any(line.startswith("runs folder:") for line in lines) and any(line.startswith("teacher code:")
                                                                         for line in lines)
    others = [line for line in lines if not line.startswith(("spamcore ", "runs folder:", "teacher code:"))
              and line != "Stopping..."]  # Streamlit's own word when the probe stops it
    assert others == [], others
