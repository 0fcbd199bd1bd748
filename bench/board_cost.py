"""What the Class board costs the server while it stays open, at each stage of a round, on the real model.

    python bench/board_cost.py [--run RUN_DIR] [--window 30] [--update-docs]

``spamcore app`` on a free port with a runs folder holding ``--run`` (default: a quick frozen run trained here on
600 messages), the board open in headless Chromium, and the server's CPU over ``--window`` seconds at each stage
(``devtools/board_cost.py``): no round, attempts arriving (written into the store, so verdicts are left out), a
retrain running (the real retrain: the server's share), after the retrain. Each share is printed with its ratio to
the idle board before any round, measured in the same run, beside this run's bf16 matmul peak.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = os.environ.get("SPAMCORE_DATA", str(ROOT.parent / "shared" / "data" / "SMSSpamCollection"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a finished run for the class to attack (default: a quick frozen run)")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured at each stage")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from robustness import bf16_peak_gflops

    from devtools.board_cost import board_stages
    from devtools.browser import free_port, open_page, running_server
    from spamcore.classroom.store import open_store

    peak = bf16_peak_gflops()
    tmp = Path(tempfile.mkdtemp(prefix="board-cost-"))
    runs = tmp / "runs"
    if args.run:
        shutil.copytree(args.run, runs / Path(args.run).name)
    else:
        subprocess.run([sys.executable, "-m", "spamcore", "train", "--recipe", "frozen", "--data", DATA, "--max-rows",
                        "600", "--epochs", "2", "--out", str(runs / "frozen-600")], check=True)
    db = f"sqlite:///{tmp / 'class.sqlite3'}"
    port = free_port()
    env = {**os.environ, "SPAMCORE_RUNS": str(runs), "SPAMCORE_DATA": DATA, "SPAMCORE_DB": db, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "spamcore", "app", "--port", str(port), "--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"

    def settle(p, ms: int = 500) -> None:
        p.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
        p.wait_for_timeout(ms)

    with running_server(command, url, cwd=tmp, env=env, log_path=tmp / "server.log") as server, \
            sync_playwright() as playwright:
        browser, page = open_page(playwright, url, height=1600, timeout_ms=120_000)
        costs = board_stages(page, url, server.pid, open_store(db), runs, args.window, settle=settle)
        browser.close()
    idle = max(costs[0].share, 1e-6)
    lines = [f"Measured {date.today().isoformat()} by `python bench/board_cost.py` ({args.window:.0f} s a stage); bf16 "
             f"matmul peak in the same run {peak:,.0f} GFLOP/s.", "",
             "| stage | server CPU | against the idle board | target |", "|---|---|---|---|"]
    lines += [f"| {c.stage} | {c.share:.2%} of a core | {c.share / idle:.1f}× | < 2 % |" for c in costs]
    text = "\n".join(lines)
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, "board-cost")


if __name__ == "__main__":
    main()
