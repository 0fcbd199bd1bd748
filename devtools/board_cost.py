"""What the Class board costs the server while it stays open, stage by stage: no round yet, a round with attempts
arriving, a retrain running, after the retrain. Shared by ``tests/test_browser_board_cost.py`` (which asserts each
stage stays under 2 % of a core) and ``bench/board_cost.py`` (which prints the table).

The board is open in headless Chromium on a real ``spamcore app``; the server's CPU is its own process tree
(``tree_cpu_seconds``: a trainer runs in a session of its own and is not counted). Attempts are written straight into
the class store from this process, so the verdicts' own cost stays out of the measure: what is measured is the board.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from devtools.browser import tree_cpu_seconds

STAGES = ("no round", "a round with attempts arriving", "a retrain running", "after the retrain")
ATTEMPTS = [("ana", "W I N a free cruise now, reply YES", "spam"), ("ben", "see you at 6 by the station", "ham"),
            ("cat", "Your p@rcel f33 is unpaid, settle it today", "spam"),
            ("dev", "hi mum new phone, send £50", "spam"), ("eve", "the match moved to Sunday", "ham"),
            ("fin", "CLAIM your refund at hmrc-gov.co", "spam")]


@dataclass(frozen=True)
class StageCost:
    stage: str
    seconds: float
    cpu_seconds: float

    @property
    def share(self) -> float:
        """Share of one core the server used over the window."""
        return self.cpu_seconds / self.seconds


def measure(server_pid: int, seconds: float, during: Callable[[float], None] | None = None,
            over: Callable[[], bool] | None = None) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) over a window of ``seconds``, or until ``over()`` turns true;
    ``during(elapsed)`` is called about once a second meanwhile (to send attempts)."""
    start_cpu, start = tree_cpu_seconds(server_pid), time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds and not (over is not None and over()):
        if during is not None:
            during(elapsed)
        time.sleep(min(1.0, max(0.0, seconds - elapsed)))
    return time.monotonic() - start, tree_cpu_seconds(server_pid) - start_cpu


def run_ended(run_dir) -> bool:
    """True once the run in ``run_dir`` has a final status (its ``run.json``, read as the app reads it)."""
    from spamcore.errors import SpamcoreError
    from spamcore.runs.layout import FINAL_STATUSES
    from spamcore.runs.store import read_run

    try:
        return read_run(run_dir).status in FINAL_STATUSES
    except SpamcoreError:
        return False  # not written yet, or being written: read it again on the next tick


def board_stages(page, url: str, server_pid: int, store, runs, window: float = 30.0,
                 settle: Callable | None = None, shots=None) -> list[StageCost]:
    """Open the board and measure each of :data:`STAGES` over ``window`` seconds. ``store`` is the class store the
    server uses; ``runs`` its runs folder; ``shots`` a folder for a screenshot of the board at the end of each stage
    (``board-stage-1.png`` ...)."""

    def shot(stage: int) -> None:
        if shots is not None:
            page.screenshot(path=str(shots / f"board-stage-{stage}.png"), full_page=True)

    import re

    results = []
    page.goto(f"{url}/board")
    page.wait_for_selector("h1:has-text('Class board')")
    settle(page, 2000)
    results.append(StageCost(STAGES[0], *measure(server_pid, window)))
    shot(1)

    page.locator(".st-key-board_start button").click()
    page.get_by_text(re.compile(r"Round \d+ attacks run")).wait_for()
    settle(page, 2000)
    round_id = store.current_round().id
    to_send = list(enumerate(ATTEMPTS))

    def send(elapsed: float) -> None:  # one attempt every 5 s, as a class does at first
        while to_send and len(ATTEMPTS) - len(to_send) <= elapsed // 5:
            i, (nick, text, claimed) = to_send.pop(0)
            store.submit(round_id, f"s{i}", nick, text, claimed, "ham", 0.2)

    results.append(StageCost(STAGES[1], *measure(server_pid, window, send)))
    shot(2)

    store.moderate_many(list(store.frame(round_id)["id"]), "accepted")
    settle(page, 6000)  # the board's next redraw shows them accepted
    page.locator(".st-key-board_retrain button").click()
    page.get_by_text(re.compile(r"Training class-round-\d+")).wait_for()
    retrained = next(runs.glob("class-round-*"))
    # While the retrain runs, and no longer: when it ends, the board scores before and after once (a one-off piece of
    # work, not a redraw's cost), and a fast machine ends the tiny test retrain inside 30 s.
    results.append(StageCost(STAGES[2], *measure(server_pid, window, over=lambda: run_ended(retrained))))
    shot(3)

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not run_ended(retrained):
        time.sleep(1)
    page.get_by_text(re.compile(r"Before → after")).wait_for(timeout=300_000)
    settle(page, 3000)
    results.append(StageCost(STAGES[3], *measure(server_pid, window)))
    shot(4)
    return results

