"""Verdicts on ONNX Runtime against torch (issue 39), every figure from one run on one host, the bf16 peak beside them.

    python bench/verdict_engines.py [--run RUN] [--rounds 6] [--update-docs]

1. One-shot: ``spamcore predict "text"`` as a fresh process (median of five), each engine, with the graph cached;
   and once with the graph removed first (the first verdict on a fresh install: export included).
2. Per verdict: process CPU for one message a call (as Classify asks), both engines alternated in rounds, each
   engine's best round (the host's noise only adds).
3. Bulk: the 5,574 messages of the SMS Spam Collection through ``predict`` on each engine, against a naive torch loop
   (fp32, batches of 32 in file order padded to the longest), messages per second.
4. Parity: the test split, the robustness, evasion and intent suites: verdict flips and max |Δp| between the engines
   (torch in fp32, as the graph).

Default model: the ready model (``bundled:spamcore-ready``). ``--update-docs`` writes the table between the
``verdict-engines`` markers of docs/serve.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MESSAGE = "You have won a free cruise, reply YES"


def one_shot(run: str, engine: str, times: int = 5) -> float:
    """Median wall seconds of a fresh ``spamcore predict`` on one message."""
    walls = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spamcore", "predict", "--run", run, "--engine", engine, MESSAGE],
                       check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def first_use(run: str) -> float:
    """Wall seconds of the first ONNX verdict for these weights: the graph removed, exported again."""
    from spamcore.model.onnx import graph_path
    from spamcore.model.saved import SavedModel

    saved = SavedModel.read(run)
    graph_path(saved.path, saved.config.recipe, saved.is_ready_model).unlink(missing_ok=True)
    return one_shot(run, "onnx", times=1)


def per_verdict(models: dict, texts: list[str], rounds: int) -> dict[str, float]:
    """CPU seconds per one-message verdict, each model's best of ``rounds`` alternated rounds."""
    spent: dict[str, list[float]] = {name: [] for name in models}
    for r in range(rounds):
        for name, model in (list(models.items()) if r % 2 == 0 else list(models.items())[::-1]):
            start = time.process_time()
            for text in texts:
                model.predict([text])
            spent[name].append((time.process_time() - start) / len(texts))
    return {name: min(values) for name, values in spent.items()}


def naive_rate(classifier, texts: list[str]) -> float:
    """A plain loop over the torch module: batches of 32 in file order, padded to the longest, fp32."""
    import torch

    from spamcore.model.batching import pad_batch

    encoded = classifier.encode(texts).ids
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(encoded), 32):
            ids, mask = pad_batch(encoded[i:i + 32], classifier.tokenizer.pad_token_id or 0)
            torch.softmax(classifier.module(ids, mask), dim=-1)
    return len(texts) / (time.perf_counter() - start)


def bulk_rate(model, texts: list[str]) -> float:
    model.predict(texts[:64])
    start = time.perf_counter()
    model.predict(texts)
    return len(texts) / (time.perf_counter() - start)


def parity(fast, slow, sets: dict[str, list[str]]) -> dict[str, tuple[int, float, int]]:
    """Per set: verdict flips, max |Δp|, messages."""
    import numpy as np

    out = {}
    for name, texts in sets.items():
        a, b = fast.predict(texts), slow.predict(texts)
        flips = sum(x.verdict != y.verdict for x, y in zip(a, b, strict=True))
        dp = float(np.max(np.abs(np.array([x.spam_probability for x in a]) -
                                 np.array([y.spam_probability for y in b]))))
        out[name] = (flips, dp, len(texts))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="bundled:spamcore-ready")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--messages", type=int, default=100, help="typed messages for the per-verdict CPU")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    from robustness import bf16_peak_gflops
    from train_speed import cpu_name

    from spamcore.data.messages import read_messages, resolve_data, split_dataset
    from spamcore.evaluation.robustness import load_intent_suite, load_suite
    from spamcore.evaluation.suites.evasion import load_evasion_suite
    from spamcore.model.pretrained import from_pretrained

    peak = bf16_peak_gflops()
    print(f"bf16 matmul peak in this run: {peak:,.1f} GFLOP/s", flush=True)
    data = read_messages(resolve_data(None))
    texts = list(data["text"])
    fast = from_pretrained(args.run, engine="onnx")
    slow = from_pretrained(args.run, engine="torch", device="cpu")
    fp32 = from_pretrained(args.run, engine="torch", device="cpu")
    fp32.bf16 = False  # torch in fp32, as the graph: parity is between the same arithmetic
    first = first_use(args.run)
    shots = {engine: one_shot(args.run, engine) for engine in ("onnx", "torch")}
    print(f"one-shot predict: onnx {shots['onnx']:.2f} s, torch {shots['torch']:.2f} s; first ONNX use {first:.1f} s",
          flush=True)
    typed = list(load_suite()["text"])[:args.messages]
    cpu = per_verdict({"onnx": fast, "torch": slow}, typed, args.rounds)
    print(f"CPU per verdict: onnx {cpu['onnx'] * 1000:.1f} ms, torch {cpu['torch'] * 1000:.1f} ms", flush=True)
    rates = {"onnx": bulk_rate(fast, texts), "torch": bulk_rate(slow, texts),
             "naive torch loop": naive_rate(fp32, texts)}
    print("bulk messages/s: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()), flush=True)
    split = split_dataset(data)
    sets = {"test split": list(split.test["text"]), "robustness suite": list(load_suite()["text"]),
            "evasion suite": list(load_evasion_suite()["text"]), "intent suite": list(load_intent_suite()["text"])}
    same = parity(fast, fp32, sets)
    threads = os.environ.get("SPAMCORE_THREADS") or f"{os.cpu_count()} (all cores)"
    naive = rates["naive torch loop"]
    lines = [
        "| figure | ONNX Runtime | torch | ONNX ÷ torch |", "|---|---|---|---|",
        f"| one-shot `spamcore predict \"text\"`, graph cached (median of 5) | {shots['onnx']:.2f} s | "
        f"{shots['torch']:.2f} s | {shots['onnx'] / shots['torch']:.2f}× |",
        f"| first verdict for new weights (the graph exported) | {first:.1f} s | | |",
        f"| CPU per typed verdict (one message a call, best of {args.rounds} rounds) | {cpu['onnx'] * 1000:.1f} ms | "
        f"{cpu['torch'] * 1000:.1f} ms | {cpu['onnx'] / cpu['torch']:.2f}× |",
        f"| bulk, 5,574 messages (messages/s) | {rates['onnx']:,.0f} ({rates['onnx'] / naive:.1f}× the naive loop) | "
        f"{rates['torch']:,.0f} ({rates['torch'] / naive:.1f}× the naive loop) | "
        f"{rates['onnx'] / rates['torch']:.2f}× |",
    ]
    parity_lines = ["| set | messages | verdict flips | max \\|Δp\\| |", "|---|---|---|---|"]
    parity_lines += [f"| {name} | {n} | {flips} | {dp:.1e} |" for name, (flips, dp, n) in same.items()]
    text = (f"Measured {date.today().isoformat()} by `python bench/verdict_engines.py` on {cpu_name()}, model "
            f"`{args.run}`; bf16 matmul peak in the same run {peak:,.1f} GFLOP/s (torch answers in "
            f"{'bf16' if slow.bf16 else 'fp32'} on this host; ONNX Runtime in fp32 on {threads} threads). The naive "
            f"loop: fp32 torch, batches of 32 in file order, {naive:,.0f} messages/s.\n\n" + "\n".join(lines)
            + "\n\nParity, ONNX Runtime against torch in fp32 (the same weights and arithmetic):\n\n"
            + "\n".join(parity_lines))
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, "verdict-engines")


if __name__ == "__main__":
    main()
