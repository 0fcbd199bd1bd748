"""Jobs as processes: how fast a Stop lands on a large upload, and what the launcher path costs.

    python bench/jobs.py [--update-docs]

1. Stop on a 100,000-message data set (the collection repeated with a counter, made here, never saved in the
   repository): a real ``finetune`` of the bundled MiniLM started through ``JobManager`` (the app's own code
   path), Stop pressed 15 s after its first step; timed until the run's final state, and whether the screen's
   status said "stopping" at once.
2. Launcher overhead: the same ``finetune`` epoch (2,000 messages) run as ``python -m spamcore train`` and under
   ``torchrun --nproc_per_node 1`` (Accelerate inside), interleaved, 2 repeats each; then 2 processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))
TORCHRUN = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))


def big_frame(rows: int = 100_000):
    import pandas as pd

    from spamcore.data.messages import read_messages

    base = read_messages(DATA)
    copies = [base.assign(text=base["text"] + f" #{i}") for i in range(rows // len(base) + 1)]
    return pd.concat(copies, ignore_index=True).iloc[:rows]


def stop_latency(tmp: Path) -> dict:
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.jobs import JobManager

    frame = big_frame()
    manager = JobManager(tmp / "runs")
    job = manager.start(recipe_defaults("finetune"), frame, "100k messages", run_name="big")
    while job.snapshot().step < 1:
        time.sleep(0.2)
    time.sleep(15)
    snap = job.snapshot()
    pressed = time.perf_counter()
    job.stop()
    said = job.snapshot().status
    job.wait(600, poll=0.1)
    seconds = time.perf_counter() - pressed
    final = job.snapshot()
    metrics = json.loads((tmp / "runs" / "big" / "metrics.json").read_text())
    return {"step_at_stop": snap.step, "total_steps": snap.total_steps, "status_after_stop": said,
            "seconds_to_final": seconds, "final": final.status, "scored_on": metrics.get("scored_on")}


def epoch_seconds(prefix: list[str], tmp: Path, name: str, processes: int = 1) -> float:
    out = tmp / name
    # The cores are shared out between the processes (more threads than cores makes every process wait).
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // processes))}
    subprocess.run([*prefix, "train", "--data", DATA, "--recipe", "finetune", "--max-rows", "2000", "--augment",
                    "none", "--extra-data", "none", "--out", str(out)], check=True, capture_output=True, env=env)
    history = json.loads((out / "history.json").read_text())
    return history["epochs"][0]["seconds"]


def launcher_overhead(tmp: Path) -> dict:
    plain = [sys.executable, "-m", "spamcore"]
    one = [TORCHRUN, "--standalone", "--nproc_per_node", "1", "-m", "spamcore"]
    two = [TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "spamcore"]
    times: dict[str, list[float]] = {"plain": [], "torchrun 1": []}
    for i in range(2):
        times["plain"].append(epoch_seconds(plain, tmp, f"plain-{i}"))
        times["torchrun 1"].append(epoch_seconds(one, tmp, f"one-{i}"))
    times["torchrun 2"] = [epoch_seconds(two, tmp, "two", processes=2)]
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    from docs_tables import update_docs
    from robustness import bf16_peak_gflops
    from train_speed import cpu_name

    peak = bf16_peak_gflops()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPAMCORE_CACHE"] = f"{tmp}/cache"
        stop = stop_latency(Path(tmp))
        print(json.dumps(stop, indent=2), flush=True)
        launch = launcher_overhead(Path(tmp))
        print(json.dumps(launch, indent=2), flush=True)
    ratio = launch["torchrun 1"] / launch["plain"]
    scored = stop["scored_on"] or {}
    text = (
        f"Measured {date.today().isoformat()} by `python bench/jobs.py` on {cpu_name()}; bf16 matmul peak in the "
        f"same run {peak:,.0f} GFLOP/s.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| Stop on a 100,000-message `finetune` (pressed at step {stop['step_at_stop']:,} of "
        f"{stop['total_steps']:,}): status right after Stop | {stop['status_after_stop']} |\n"
        f"| … seconds from Stop to the run's final state ({stop['final']}) | {stop['seconds_to_final']:.1f} s |\n"
        f"| … test messages the stopped run was scored on | {scored.get('messages', 'all'):,} of "
        f"{scored.get('of', 0):,} |\n"
        f"| `finetune` epoch, 2,000 messages: `python -m spamcore train` | {launch['plain']:.1f} s |\n"
        f"| … under `torchrun --nproc_per_node 1` (Accelerate) | {launch['torchrun 1']:.1f} s ({ratio:.2f}×) |\n"
        f"| … 2 processes on the same 2 cores (gloo) | {launch['torchrun 2']:.1f} s |\n"
    )
    print(text)
    if args.update_docs:
        update_docs(text, section="jobs")


if __name__ == "__main__":
    main()
