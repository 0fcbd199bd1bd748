"""Issue 18, third pass: levers on the default that the library does not ship, measured over seeds.

    python bench/study18c.py [--seeds 42,1,2] [--only NAME,...] [--update-readme]

Each arm trains the ``finetune`` default once per seed, each in a fresh process (an arm's patch cannot leak into
the next, and every process starts alike, so the times compare), scores the seed-42 test split, the robustness
suite and the evasion suite, and prints one line per run and the seed means in the README's format. The bf16
matmul peak measured at the start is printed beside them (hosts differ).

Three arms change training in ways the library does not offer, so they are patched in here rather than shipped:
``originals x2`` weighs the loss of the messages as written twice (the copies once); ``crops 0.8`` trains spam
crops towards 0.8 instead of 1 (a few words of a spam message are not always spam); ``numbers named`` reads UK
phone numbers as what they are ("[premium-rate number]", "[mobile number]", "[short code]") before the model
does, so that a premium-rate number can count without digits counting.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

#: name -> (config overrides, patch). The default first: the reference of every other arm.
ARMS: dict[str, tuple[dict, str | None]] = {
    "default": ({}, None),
    "originals x2": ({}, "originals_x2"),
    "crops 0.8": ({}, "crops_08"),
    "embeddings trained": ({"freeze_embeddings": False}, None),
    "batch 16": ({"batch_size": 16}, None),
    "numbers named": ({}, "numbers_named"),
}


def install(patch: str) -> None:
    """Patch ``spamcore`` for one arm (this process only)."""
    import numpy as np
    import torch

    import spamcore.normalise as N
    import spamcore.train as T

    if patch == "numbers_named":
        number = re.compile(r"(?<![\w£$€])\+?\d(?:\d| (?=\d)){3,14}\d(?![\w])")

        def name(match: re.Match) -> str:
            digits = match.group().replace(" ", "").lstrip("+")
            digits = "0" + digits[2:] if digits.startswith("44") else digits
            if len(digits) == 11 and digits.startswith(("09", "087", "070", "0845", "0844")):
                return "[premium-rate number]"
            if len(digits) == 11 and digits.startswith("07"):
                return "[mobile number]"
            if len(digits) in (10, 11) and digits.startswith("0"):
                return "[phone number]"
            if len(digits) == 5 and not digits.startswith("0"):
                return "[short code]"
            return match.group()

        plain = N.normalise

        def normalise(text, scheme=N.DEFAULT_SCHEME, vocab=None):
            read = plain(text, scheme, vocab)
            return read if scheme == "none" else number.sub(name, read)

        N.normalise = normalise  # NormalisingTokenizer looks it up at call time: training and scoring both read it
        return

    rows: dict = {}
    plain_frame = T.training_frame

    def training_frame(train, config, read=None):
        frame = plain_frame(train, config, read)
        made_by = frame["augmentation"].to_numpy() if "augmentation" in frame else np.full(len(frame), "")
        labels = frame["label"].to_numpy().astype(float)
        target, weight = labels.copy(), np.ones(len(frame))
        if patch == "originals_x2":
            weight[made_by == ""] = 2.0
        elif patch == "crops_08":
            target[(made_by == "crop") & (labels == 1)] = 0.8
        rows["target"] = torch.tensor(target, dtype=torch.float32)
        rows["weight"] = torch.tensor(weight, dtype=torch.float32)
        return frame

    def soft_weighted_loss(logits, rows_in_batch):
        log_p = torch.log_softmax(logits, -1)
        index = rows_in_batch.cpu()
        target, weight = rows["target"][index].to(logits.device), rows["weight"][index].to(logits.device)
        return ((-(target * log_p[:, 1] + (1 - target) * log_p[:, 0])) * weight).sum() / weight.sum()

    plain_steps = T._Steps.__init__

    def steps(self, *args, **kwargs):
        plain_steps(self, *args, **kwargs)
        # The training steps look up "labels" by row and hand them to loss_fn: here the rows themselves, so that the
        # loss can find each row's target and weight (validation keeps the plain loss).
        self.labels = torch.arange(len(rows["target"]))
        self.loss_fn = soft_weighted_loss

    T.training_frame = training_frame
    T._Steps.__init__ = steps


def one_run(name: str, seed: int) -> dict:
    """Train arm ``name`` with ``seed`` in this process and score it (as bench/robustness.py's arms are)."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from robustness import DATA, run_arm

    from spamcore.data import read_messages

    overrides, patch = ARMS[name]
    if patch:
        install(patch)
    return run_arm(f"{name} seed {seed}", "finetune", {**overrides, "seed": seed}, read_messages(DATA), None)


def time_ratios(results: list[dict]) -> str:
    """Each arm's mean training time against the default's, measured in the same run."""
    times: dict[str, list[float]] = {}
    for r in results:
        times.setdefault(r["name"].rsplit(" seed ", 1)[0], []).append(r["seconds"])
    mean = {name: sum(t) / len(t) for name, t in times.items()}
    if "default" not in mean:
        return "(no default arm in this run: no time ratios)"
    return "Training time against the default in the same run: " + ", ".join(
        f"{name} {seconds / mean['default']:.2f}×" for name, seconds in mean.items() if name != "default") + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--only", help="comma-separated arm names")
    parser.add_argument("--update-readme", action="store_true", help="write the means between the README's markers")
    parser.add_argument("--one", nargs=2, metavar=("ARM", "SEED"), help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    if args.one:
        result = one_run(args.one[0], int(args.one[1]))
        print("RESULT " + json.dumps({k: result[k] for k in ("name", "seconds", "test", "test_wrong", "suite",
                                                                 "evasion")}))
        return
    from robustness import bf16_peak_gflops, seed_means

    peak = bf16_peak_gflops()
    print(f"bf16 matmul peak in this run: {peak:,.0f} GFLOP/s", flush=True)
    names = args.only.split(",") if args.only else list(ARMS)
    results = []
    for name in names:
        for seed in args.seeds.split(","):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--one", name, seed], capture_output=True, text=True)
            line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{name} seed {seed}: failed after {time.perf_counter() - start:.0f} s\n{out.stderr[-2000:]}")
                continue
            r = json.loads(line[len("RESULT "):])
            results.append(r)
            g = {x["group"]: x for x in r["suite"]["groups"]}
            tricks = " ".join(f"{t['trick']} {t['recall']:.2f}" for t in r["evasion"]["tricks"])
            print(f"{r['name']}: {r['seconds']:.1f} s, test F1 {r['test']['spam_f1']:.3f}, typed P/R "
                  f"{g['typed']['spam_precision']:.2f}/{g['typed']['spam_recall']:.2f}, modern F1 "
                  f"{g['modern']['spam_f1']:.3f} | {tricks}", flush=True)
    means = seed_means(results) + "\n\n" + time_ratios(results)
    print(means)
    shared = set.intersection(*(set(map(tuple, r["test_wrong"])) for r in results)) if results else set()
    print(f"Test messages wrong in all {len(results)} runs:", *(f"  {'spam' if y else 'ham'}: {t[:100]!r}"
                                                                for t, y in sorted(shared)), sep="\n")
    if args.update_readme:
        from train_speed import cpu_name, update_readme

        command = " ".join(["python bench/study18c.py", *sys.argv[1:]])
        update_readme(f"Measured {date.today().isoformat()} by `{command}` on {cpu_name()}; bf16 matmul peak in the "
                      f"same run {peak:,.0f} GFLOP/s. Means over the seeds, each run in a fresh process.\n\n{means}",
                      section="study18c")


if __name__ == "__main__":
    main()
