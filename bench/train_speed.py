"""Speed benchmark: spamcore against a naive reference loop, in the same script run, on this machine.

Each arm runs in its own child process (same interpreter, same machine, one after the other) so that its
peak memory is its own; the parent prints one table with the ratios and, with ``--update-docs``, writes it
into docs/results.md between the ``bench`` markers.

    python bench/train_speed.py                 # full: naive and spamcore, default epochs (~8 min on 2 cores)
    python bench/train_speed.py --quick         # naive epoch estimated from 40 steps (~3 min)

The naive reference is what a first notebook does: random batches of 32 padded to the batch's longest
message, fp32, a standard AdamW, batched inference in input order padded to the max length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))


# ------------------------------------------------------------------------------------------ the arms


def _setup():
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from spamcore.data.messages import read_messages, split_dataset

    return split_dataset(read_messages(DATA))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def arm_naive_finetune(quick: bool) -> dict:
    """A plain fine-tuning loop: random batches, padding to the batch's longest, fp32, default AdamW."""
    import torch

    from spamcore.evaluation.metrics import binary_scores
    from spamcore.model.config import recipe_defaults
    from spamcore.model.loading import load_sequence_classifier, load_tokenizer

    split = _setup()
    cfg = recipe_defaults("finetune")
    tok = load_tokenizer(cfg.model)
    torch.manual_seed(cfg.seed)
    model = load_sequence_classifier(cfg.model)
    texts, labels = list(split.train["text"]), torch.tensor(split.train["label"].to_numpy())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(texts) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warm = int(total * cfg.warmup_ratio)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / (total - warm)))
    epoch_seconds, tokens = [], 0
    limit = 40 if quick else steps_per_epoch
    for _epoch in range(1 if quick else cfg.epochs):
        model.train()
        order = torch.randperm(len(texts))
        start = time.perf_counter()
        for step in range(limit):
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            batch = tok([texts[i] for i in idx], padding="longest", truncation=True, max_length=cfg.max_length,
                        return_tensors="pt")
            tokens += int(batch["attention_mask"].sum())
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            loss = torch.nn.functional.cross_entropy(out.logits, labels[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        epoch_seconds.append((time.perf_counter() - start) * steps_per_epoch / limit)
    train_seconds = sum(epoch_seconds)
    model.eval()
    test = list(split.test["text"])
    start = time.perf_counter()
    probs = []
    with torch.no_grad():
        for i in range(0, len(test), 32):
            batch = tok(test[i:i + 32], padding="max_length", truncation=True, max_length=cfg.max_length,
                        return_tensors="pt")
            probs.append(torch.softmax(model(**batch).logits, -1)[:, 1])
    infer = time.perf_counter() - start
    probs = torch.cat(probs).numpy()
    scores = binary_scores(split.test["label"].to_numpy(), probs)
    return {
        "epoch_s": statistics.median(epoch_seconds), "train_s": train_seconds,
        "tokens_per_s": tokens / sum(epoch_seconds) * (limit / steps_per_epoch if quick else 1),
        "spam_f1": None if quick else scores["spam_f1"], "accuracy": None if quick else scores["accuracy"],
        "bulk_msgs_per_s": len(test) / infer, "peak_mb": _peak_mb(), "estimated": quick,
    }


def arm_spamcore_finetune(quick: bool) -> dict:
    """spamcore's ``finetune`` recipe with its defaults, then its inference paths."""
    import numpy as np

    from spamcore.evaluation.metrics import binary_scores
    from spamcore.model.batching import tokenize
    from spamcore.model.config import recipe_defaults
    from spamcore.training.loop import train

    split = _setup()
    cfg = recipe_defaults("finetune", epochs=1 if quick else None)
    result = train(cfg, split)
    ids = tokenize(result.classifier.tokenizer, list(split.train["text"]), cfg.max_length)
    tokens = sum(len(x) for x in ids) * len(result.history)
    epoch_seconds = [r.seconds for r in result.history]
    clf = result.classifier
    test = list(split.test["text"])
    probs = clf.predict_proba(test)
    scores = binary_scores(split.test["label"].to_numpy(), probs)
    # bulk: every test message, three times, median throughput
    bulk = []
    for _ in range(3):
        start = time.perf_counter()
        clf.predict_proba(test, batch_size=64)
        bulk.append(len(test) / (time.perf_counter() - start))
    # typed messages: one at a time, warm
    singles = test[:20] * 10
    for text in singles[:20]:
        clf.predict_proba([text])
    lat = []
    for text in singles:
        start = time.perf_counter()
        clf.predict_proba([text])
        lat.append((time.perf_counter() - start) * 1000)
    return {
        "epoch_s": statistics.median(epoch_seconds), "train_s": result.seconds,
        "tokens_per_s": tokens / sum(epoch_seconds), "spam_f1": scores["spam_f1"], "accuracy": scores["accuracy"],
        "bulk_msgs_per_s": statistics.median(bulk), "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)), "peak_mb": _peak_mb(), "bf16": result.bf16,
    }


def arm_naive_frozen(quick: bool) -> dict:
    """The reference notebook's loop: the frozen encoder runs on every batch of every epoch, fp32."""
    import torch

    from spamcore.data.messages import class_weights
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.model.config import recipe_defaults
    from spamcore.model.loading import MLPHead, load_encoder, load_tokenizer

    split = _setup()
    cfg = recipe_defaults("frozen")
    start = time.perf_counter()
    tok, bert = load_tokenizer(cfg.model), load_encoder(cfg.model)
    bert.requires_grad_(False)
    torch.manual_seed(cfg.seed)
    head = MLPHead(bert.config.hidden_size)
    enc = tok(list(split.train["text"]), padding="max_length", truncation=True, max_length=cfg.max_length,
              return_tensors="pt")
    labels = torch.tensor(split.train["label"].to_numpy())
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weights(labels.numpy()), dtype=torch.float32))
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr)
    epochs = 1 if quick else cfg.epochs
    epoch_seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        bert.train()  # as in the notebook: model.train() also puts the frozen encoder's dropout on
        head.train()
        for idx in torch.randperm(len(labels)).split(cfg.batch_size):
            pooled = bert(input_ids=enc["input_ids"][idx], attention_mask=enc["attention_mask"][idx]).pooler_output
            loss = loss_fn(head(pooled), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t0)
    bert.eval()
    head.eval()
    test = tok(list(split.test["text"]), padding="max_length", truncation=True, max_length=cfg.max_length,
               return_tensors="pt")
    with torch.no_grad():
        probs = torch.softmax(head(bert(**test).pooler_output), -1)[:, 1].numpy()
    scores = binary_scores(split.test["label"].to_numpy(), probs)
    total = time.perf_counter() - start
    if quick:
        total += statistics.median(epoch_seconds) * (cfg.epochs - 1)
    return {"total_s": total, "epoch_s": statistics.median(epoch_seconds),
            "spam_f1": None if quick else scores["spam_f1"], "accuracy": None if quick else scores["accuracy"],
            "peak_mb": _peak_mb(), "estimated": quick}


def arm_spamcore_frozen(quick: bool) -> dict:
    """spamcore's ``frozen`` recipe end to end (model load, encoding, 10 epochs, test), cold then warm."""
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.model import features
    from spamcore.model.config import recipe_defaults
    from spamcore.training.loop import train

    split = _setup()
    cfg = recipe_defaults("frozen")
    cold = []
    for _ in range(1 if quick else 3):
        features.clear_memory_cache()
        start = time.perf_counter()
        result = train(cfg, split, feature_cache_dir=None)
        probs = result.classifier.predict_proba(list(split.test["text"]))
        cold.append(time.perf_counter() - start)
    scores = binary_scores(split.test["label"].to_numpy(), probs)
    start = time.perf_counter()
    train(cfg.replace(hidden_units=256, dropout=0.2), split, feature_cache_dir=None)  # reuses cached features
    warm = time.perf_counter() - start
    return {"total_s": statistics.median(cold), "warm_s": warm, "spam_f1": scores["spam_f1"],
            "accuracy": scores["accuracy"], "peak_mb": _peak_mb()}


ARMS = {f.__name__[4:]: f for f in (arm_naive_finetune, arm_spamcore_finetune, arm_naive_frozen, arm_spamcore_frozen)}


# ------------------------------------------------------------------------------------------ the table


def run_arm(name: str, quick: bool) -> dict:
    cmd = [sys.executable, __file__, "--arm", name] + (["--quick"] if quick else [])
    print(f"running {name} ...", file=sys.stderr, flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(value, spec: str = ".1f", suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(r: dict, quick: bool) -> str:
    nf, sf, nz, sz = r["naive_finetune"], r["spamcore_finetune"], r["naive_frozen"], r["spamcore_frozen"]
    est = " (est.)" if quick else ""
    rows = [
        "| measure | naive reference | spamcore | ratio |",
        "|---|---|---|---|",
        f"| finetune: seconds per epoch (3,901 msgs){est} | {_fmt(nf['epoch_s'])} | {_fmt(sf['epoch_s'])} | "
        f"{nf['epoch_s'] / sf['epoch_s']:.1f}× faster |",
        f"| finetune: tokens/s in training | {_fmt(nf['tokens_per_s'], ',.0f')} | {_fmt(sf['tokens_per_s'], ',.0f')} | "
        f"{sf['tokens_per_s'] / nf['tokens_per_s']:.1f}× |",
        f"| finetune: test spam F1 / accuracy | {_fmt(nf['spam_f1'], '.3f')} / {_fmt(nf['accuracy'], '.3f')} | "
        f"{_fmt(sf['spam_f1'], '.3f')} / {_fmt(sf['accuracy'], '.3f')} | |",
        f"| finetune: peak memory (MB) | {_fmt(nf['peak_mb'], ',.0f')} | {_fmt(sf['peak_mb'], ',.0f')} | |",
        f"| bulk classification (msgs/s) | {_fmt(nf['bulk_msgs_per_s'], ',.0f')} | "
        f"{_fmt(sf['bulk_msgs_per_s'], ',.0f')} | "
        f"{sf['bulk_msgs_per_s'] / nf['bulk_msgs_per_s']:.1f}× |",
        f"| one typed message: p50 / p99 latency (ms) | | {_fmt(sf['p50_ms'])} / {_fmt(sf['p99_ms'])} | |",
        f"| frozen: 10 epochs end to end, s{est} | {_fmt(nz['total_s'])} | {_fmt(sz['total_s'])} | "
        f"{nz['total_s'] / sz['total_s']:.1f}× faster |",
        f"| frozen: second run, cached features, s | | {_fmt(sz['warm_s'])} | |",
        f"| frozen: test spam F1 / accuracy | {_fmt(nz['spam_f1'], '.3f')} / {_fmt(nz['accuracy'], '.3f')} | "
        f"{_fmt(sz['spam_f1'], '.3f')} / {_fmt(sz['accuracy'], '.3f')} | |",
        f"| frozen: peak memory (MB) | {_fmt(nz['peak_mb'], ',.0f')} | {_fmt(sz['peak_mb'], ',.0f')} | |",
    ]
    import torch

    head = (f"Measured {date.today().isoformat()} by `python bench/train_speed.py{' --quick' if quick else ''}` on "
            f"{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads; "
            f"spamcore used bf16 autocast: {sf.get('bf16')}. Medians over epochs/repeats.")
    return head + "\n\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arm", choices=ARMS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(ARMS[args.arm](args.quick)))
        return
    results = {name: run_arm(name, args.quick) for name in ARMS}
    (ROOT / "bench" / "last_results.json").write_text(json.dumps(results, indent=2))
    text = table(results, args.quick)
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, "bench")


if __name__ == "__main__":
    main()
