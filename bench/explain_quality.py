"""Attribution methods compared: speed on a 40-token message, faithfulness by the deletion curve.

    python bench/explain_quality.py --run runs/NAME              # a trained run (either recipe)
    python bench/explain_quality.py --run runs/NAME --threads 1  # on a busy machine 1 torch thread is faster
    python bench/explain_quality.py --train frozen               # train one on the real data first (minutes)

Faithfulness: for test spam messages the run calls spam, remove the top 1..5 words by each method's ranking
and record the mean drop of the spam probability; "random" removes words in random order (3 orders per
message). AOPC is the mean drop over k = 1..5 — higher is more faithful. Speed: median of 5 calls on one
hand-written 40-token message with max length 64, the classifier's own weights (wall and CPU time). The numbers
go into the docstring of ``spamcore/explain.py`` by hand. Takes 5-15 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))
# Hand-written, 40 tokens with [CLS]/[SEP] under the MiniLM tokenizer.
MESSAGE_40 = ("URGENT! You have won a guaranteed £1000 cash prize. To claim, call 09061234567 before 5pm today "
              "or reply STOP now to opt out of all future messages")
K = 5


def main() -> None:
    import torch
    import transformers

    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.model.saved import load_classifier
    from spamcore.runs.store import read_run
    from spamcore.teaching.explain import DEFAULT_STEPS, METHODS, deletion_curve, explain

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", help="run folder")
    parser.add_argument("--train", choices=["frozen", "finetune"], help="train a run on the real data first")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--messages", type=int, default=150)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")

    run_dir = Path(args.run) if args.run else _train(args.train or "frozen", args.epochs)
    info = read_run(run_dir)
    classifier = load_classifier(run_dir, device="cpu")
    print(f"run {run_dir} ({info.config.recipe}, max length {info.config.max_length}, "
          f"test spam F1 {info.metrics['classes']['spam']['f1']:.3f})")

    # Speed at max length 64 (a frozen run's module works at any length).
    long = type(classifier)(classifier.module, classifier.tokenizer,
                            info.config.replace(max_length=64), classifier.device)
    tokens = int(long.token_lengths([MESSAGE_40])[0])
    for method, steps in (("occlusion", DEFAULT_STEPS), ("integrated_gradients", 16),
                          ("integrated_gradients", 32)):
        explain(long, MESSAGE_40, method, steps=steps)  # warm-up
        wall, cpu = [], []
        for _ in range(5):
            start = time.process_time()
            wall.append(explain(long, MESSAGE_40, method, steps=steps).seconds)
            cpu.append(time.process_time() - start)
        label = method if method == "occlusion" else f"{method} ({steps} steps)"
        print(f"speed {label:>32}: {tokens} tokens, median {statistics.median(wall):.3f} s "
              f"(min {min(wall):.3f}, max {max(wall):.3f}; CPU time median {statistics.median(cpu):.3f} s)")

    split = split_dataset(read_messages(DATA))
    spam = split.test[split.test["label"] == 1]["text"].tolist()
    probs = classifier.predict_proba(spam)
    chosen = [t for t, p in zip(spam, probs, strict=True) if p >= 0.5][: args.messages]
    rng = np.random.default_rng(0)
    drops: dict[str, list[np.ndarray]] = {m: [] for m in (*METHODS, "random")}
    gaps, seconds = [], {m: [] for m in METHODS}
    for text in chosen:
        for method in METHODS:
            exp = explain(classifier, text, method)
            seconds[method].append(exp.seconds)
            if exp.completeness_gap is not None:
                gaps.append(abs(exp.completeness_gap))
            drops[method].append(_drops(deletion_curve(classifier, exp, K)))
        for _ in range(3):
            order = rng.permutation(len(exp.words))
            drops["random"].append(_drops(deletion_curve(classifier, exp, K, order=order)))
    print(f"faithfulness on {len(chosen)} test spam messages called spam (mean drop of spam probability):")
    for name, rows in drops.items():
        mean = np.mean(np.stack(rows), axis=0)
        print(f"  {name:>21}: k=1 {mean[0]:.3f}  k=3 {mean[2]:.3f}  k=5 {mean[4]:.3f}  AOPC {mean.mean():.3f}")
    for method in METHODS:
        print(f"  {method:>21}: median {statistics.median(seconds[method]):.3f} s per message")
    print(f"  IG |completeness gap|: median {statistics.median(gaps):.2e}, max {max(gaps):.2e}")


def _drops(curve: np.ndarray) -> np.ndarray:
    """Drop from the full message after removing k = 1..K words; short messages keep their last value."""
    padded = np.concatenate([curve, np.full(K + 1 - len(curve), curve[-1])])
    return curve[0] - padded[1:]


def _train(recipe: str, epochs: int | None) -> Path:
    from spamcore.data.messages import read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.experiment import run_experiment

    config = recipe_defaults(recipe, epochs=epochs)
    run_dir = Path(tempfile.mkdtemp(prefix="explain-bench-")) / recipe
    run_experiment(config, read_messages(DATA), run_dir, data_name=DATA)
    return run_dir


if __name__ == "__main__":
    main()
