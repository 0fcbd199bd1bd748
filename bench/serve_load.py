"""The verdict API under load: 32 concurrent clients sending single messages to ``spamcore serve`` for 30 s, with
micro-batching and with one request per forward pass, against the in-process bulk rate in the same run — on each
verdict engine (ONNX Runtime, torch: spamcore.model.onnx) in turn.

    python bench/serve_load.py [--run RUN_DIR] [--clients 32] [--seconds 30] [--engines onnx,torch] [--update-docs]

Without ``--run`` it trains a short finetune of the bundled MiniLM first (300 messages, one epoch: the architecture and
so the cost of a verdict are the default's; its verdicts are not, and do not matter here). The server runs as its own
process on a free loopback port; the clients are threads of this process, so they share the two cores with it, as a
mail filter on the same laptop would. Every loop is bounded in time. Printed: messages/s, p50/p95/p99 latency,
errors, the server's memory at the start and the end of each phase, the bf16 matmul peak of this run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = Path(os.environ.get("SPAMCORE_DATA", ROOT.parent / "shared" / "data" / "SMSSpamCollection"))
TOKEN = "bench-token-0123456789abcdef"


def short_run(folder: Path) -> Path:
    from spamcore.data.messages import read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.experiment import run_experiment

    target = folder / "short-finetune"
    config = recipe_defaults("finetune", max_rows=300, epochs=1, augment="", extra_data="")
    run_experiment(config, read_messages(DATA), target, data_name="SMS Spam Collection (300)")
    return target


def messages() -> list[str]:
    """Today's messages, as a filter sees them: the robustness suite's (hand-written, never trained on)."""
    from spamcore.evaluation.robustness import load_suite

    return list(load_suite()["text"])


def bulk_rate(run: Path, texts: list[str], engine: str, seconds: float = 10.0) -> float:
    """Messages per second of ``predict`` on lists of 64 in this process (what ``spamcore predict`` does with a
    file), on ``engine``."""
    from spamcore.model.pretrained import from_pretrained

    classifier = from_pretrained(run, engine=engine)
    classifier.predict(texts[:64])  # warm-up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(0, len(texts), 64):
            classifier.predict(texts[i:i + 64])
            done += len(texts[i:i + 64])
    return done / (time.perf_counter() - start)


@contextlib.contextmanager
def server(run: Path, *flags: str, engine: str = "auto"):
    import psutil

    from devtools.browser import running_server

    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "spamcore", "serve", str(run), "--port", str(port), "--token", TOKEN, *flags]
    with tempfile.TemporaryDirectory() as folder, running_server(
            command, url, cwd=folder, env={**os.environ, "HF_HUB_OFFLINE": "1", "SPAMCORE_ENGINE": engine},
            log_path=Path(folder) / "serve.log",
            health="/v2/health/ready") as proc:
        yield url, psutil.Process(proc.pid)


def load(url: str, texts: list[str], clients: int, seconds: float) -> dict:
    """``clients`` threads, each sending one message at a time for ``seconds``: every latency and error."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            i = k
            while time.monotonic() < stop_at:
                start = time.perf_counter()
                try:
                    r = http.post(f"{url}/v1/classify", json={"text": texts[i % len(texts)]})
                    ok = r.status_code == 200 and len(r.json()["results"]) == 1
                    problem = None if ok else f"HTTP {r.status_code}"
                except httpx.HTTPError as err:
                    problem = type(err).__name__
                with lock:
                    (errors.append(problem) if problem else latencies.append(time.perf_counter() - start))
                i += clients

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"rate": len(latencies) / wall, "p50": q[49], "p95": q[94], "p99": q[98], "errors": len(errors),
            "answered": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="the run to serve (default: train a short finetune first)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--engines", default="onnx,torch", help="verdict engines to measure, in this order")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from robustness import bf16_peak_gflops
    from train_speed import cpu_name

    peak = bf16_peak_gflops()
    print(f"bf16 matmul peak in this run: {peak:,.1f} GFLOP/s", flush=True)
    run = Path(args.run) if args.run else short_run(Path(tempfile.mkdtemp(prefix="serve-load-")))
    texts = messages()
    lines = ["| engine | server | messages/s | ÷ in-process bulk | ÷ one request, one pass | p50 | p95 | p99 | "
             "errors | server memory (MiB, start → end) |", "|---|---|---|---|---|---|---|---|---|---|"]
    bulks = {}
    for engine in args.engines.split(","):
        bulk = bulks[engine] = bulk_rate(run, texts, engine)
        print(f"{engine}: in-process bulk (predict, lists of 64): {bulk:,.0f} messages/s", flush=True)
        rows = {}
        for name, flags in (("micro-batching (default: up to 64, 5 ms)", ()),
                            ("one request, one pass (--max-batch 1 --wait-ms 0)",
                             ("--max-batch", "1", "--wait-ms", "0"))):
            with server(run, *flags, engine=engine) as (url, proc):
                load(url, texts, args.clients, 3.0)  # warm-up
                before = proc.memory_info().rss
                result = load(url, texts, args.clients, args.seconds)
                result["rss"] = (before / 2**20, proc.memory_info().rss / 2**20)
            rows[name] = result
            print(f"{engine}, {name}: {result['rate']:,.0f} messages/s, p50 {result['p50'] * 1000:.0f} ms, p95 "
                  f"{result['p95'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, errors {result['errors']}, "
                  f"server memory {result['rss'][0]:.0f} → {result['rss'][1]:.0f} MiB", flush=True)
        one = list(rows.values())[1]["rate"]
        for name, r in rows.items():
            lines.append(f"| {engine} | {name} | {r['rate']:,.0f} | {r['rate'] / bulk:.2f}× | {r['rate'] / one:.2f}× | "
                         f"{r['p50'] * 1000:.0f} ms | {r['p95'] * 1000:.0f} ms | {r['p99'] * 1000:.0f} ms | "
                         f"{r['errors']} | {r['rss'][0]:.0f} → {r['rss'][1]:.0f} |")
    rates = ", ".join(f"{engine} {rate:,.0f}" for engine, rate in bulks.items())
    text = (f"Measured {date.today().isoformat()} by `python bench/serve_load.py` on {cpu_name()}; bf16 matmul peak "
            f"in the same run {peak:,.1f} GFLOP/s. {args.clients} clients sending one message at a time for "
            f"{args.seconds:.0f} s; in-process bulk rate (`predict` on lists of 64), messages/s: {rates}.\n\n"
            + "\n".join(lines))
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, "serve-load")


if __name__ == "__main__":
    main()
