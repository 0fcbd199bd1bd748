"""The teaching views' costs: the before/after embedding map, the masked-word head, the HTML report.

    python bench/teaching.py                                   # trains a default frozen and finetune run first
    python bench/teaching.py --finetune-run R1 --frozen-run R2  # reuse runs trained with the defaults
    python bench/teaching.py --update-docs                   # also rewrite the teaching table in docs/teaching.md

Reference, in the same process: scoring the same test messages with the run's classifier (one forward pass
each), so the map's cost reads as a multiple of a plain prediction pass. The map is timed cold (no cache; the
pre-trained encoder is loaded as part of it) and from the disk cache. The masked-word head is trained on the
training split and scored on the validation split, beside always guessing the commonest tokens. Takes 3-6 minutes
on 2 CPU cores (plus training, when no runs are given).
"""

from __future__ import annotations

import argparse
import os
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


def _train(recipe: str, folder: Path) -> Path:
    out = folder / f"bench-{recipe}"
    subprocess.run([sys.executable, "-m", "spamcore", "train", "--recipe", recipe, "--data", DATA, "--out",
                    str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return out


def _median_seconds(work, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def map_costs(run_dir: Path, cache: Path) -> dict:
    from spamcore.model.loading import load_encoder
    from spamcore.model.saved import load_classifier
    from spamcore.runs.scores import test_scores
    from spamcore.teaching.embedding import cached_map, place

    classifier = load_classifier(run_dir, device="cpu")
    scores = test_scores(run_dir)
    texts, labels = list(scores["text"]), scores["label"].to_numpy()
    reference = _median_seconds(lambda: classifier.predict_proba(texts), repeats=2)
    loaded = {}

    def pretrained():
        loaded["encoder"] = load_encoder(classifier.config.model)
        return loaded["encoder"]

    start = time.perf_counter()
    emap = cached_map(run_dir, classifier, pretrained, texts, cache)
    cold = time.perf_counter() - start
    warm = _median_seconds(lambda: cached_map(run_dir, classifier, pretrained, texts, cache))
    encoder = loaded.get("encoder")
    one = _median_seconds(lambda: place(classifier, encoder, emap, "Claim your free prize now, reply YES"))
    before, after = emap.separations(labels)
    return {"messages": len(texts), "reference": reference, "cold": cold, "warm": warm, "place": one,
            "before": before, "after": after, "same": emap.same_encoder}


def mlm_costs() -> dict:
    from spamcore.data.messages import read_messages, split_dataset
    from spamcore.model.config import BUNDLED_MODEL
    from spamcore.model.loading import load_tokenizer
    from spamcore.model.precision import cpu_supports_bf16
    from spamcore.teaching.masked import fit_and_score, guesses, load_mlm

    split = split_dataset(read_messages(DATA))
    tokenizer = load_tokenizer(BUNDLED_MODEL)
    mlm, _ = load_mlm(BUNDLED_MODEL)
    score = fit_and_score(mlm, tokenizer, list(split.train["text"]), list(split.validation["text"]),
                          bf16=cpu_supports_bf16())
    ids = tokenizer("Claim your free [MASK] now, the offer ends at midnight")["input_ids"]
    position = ids.index(tokenizer.mask_token_id)
    guess = _median_seconds(lambda: guesses(mlm, tokenizer, ids, [position]), repeats=5)
    return {"score": score, "guess": guess,
            "example": [(g.token, g.probability) for g in guesses(mlm, tokenizer, ids, [position])[position]]}


def report_costs(run_dir: Path) -> dict:
    from spamcore.runs.report import build_report

    page = build_report(run_dir)
    return {"seconds": _median_seconds(lambda: build_report(run_dir)), "mb": len(page.encode()) / 1e6}


def main() -> None:
    import torch
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finetune-run")
    parser.add_argument("--frozen-run")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    from docs_tables import update_docs
    from robustness import bf16_peak_gflops
    from train_speed import cpu_name

    peak = bf16_peak_gflops()
    print(f"torch threads {torch.get_num_threads()}; bf16 matmul peak in this run: {peak:,.0f} GFLOP/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPAMCORE_CACHE"] = f"{tmp}/cache"
        finetune = Path(args.finetune_run) if args.finetune_run else _train("finetune", Path(tmp))
        frozen = Path(args.frozen_run) if args.frozen_run else _train("frozen", Path(tmp))
        maps = {name: map_costs(run, Path(tmp) / f"maps-{name}") for name, run in
                (("finetune", finetune), ("frozen", frozen))}
        for name, m in maps.items():
            print(name, {k: round(v, 3) if isinstance(v, float) else v for k, v in m.items()}, flush=True)
        mlm = mlm_costs()
        print(mlm, flush=True)
        report = report_costs(finetune)
        print(report, flush=True)

    s = mlm["score"]
    rows = ["| measure | finetune run | frozen run |", "|---|---|---|"]
    f, z = maps["finetune"], maps["frozen"]
    rows += [
        f"| reference: score the {f['messages']} test messages (one forward pass) | {f['reference']:.1f} s | "
        f"{z['reference']:.1f} s |",
        f"| map, first time (encoders: pre-trained and the run's; PCA) | {f['cold']:.1f} s "
        f"({f['cold'] / f['reference']:.1f}×) | {z['cold']:.1f} s ({z['cold'] / z['reference']:.1f}×, one encoder: "
        "unchanged by a frozen run) |",
        f"| map, again (disk cache) | {f['warm'] * 1000:.1f} ms | {z['warm'] * 1000:.1f} ms |",
        f"| place one typed message on both maps | {f['place'] * 1000:.0f} ms | {z['place'] * 1000:.0f} ms |",
        f"| test messages nearer their own class's centre, before → after | {f['before']:.0%} → {f['after']:.0%} | "
        f"{z['before']:.0%} → {z['after']:.0%} |",
    ]
    example = ", ".join(f"“{t}” {p:.0%}" for t, p in mlm["example"])
    text = (
        f"Measured {date.today().isoformat()} by `python bench/teaching.py` on {cpu_name()}, "
        f"{torch.get_num_threads()} torch threads; bf16 matmul peak in the same run {peak:,.0f} GFLOP/s. Runs "
        "trained with the default settings of each recipe.\n\n" + "\n".join(rows) + "\n\n"
        "| masked-word head for the bundled MiniLM (`spamcore mlm-head`) | value |\n|---|---|\n"
        f"| training: encode {s.train_targets:,} masked tokens of the training split, fit the head | "
        f"{s.seconds:.0f} s |\n"
        f"| top-1 / top-5 on {s.targets:,} masked tokens of the validation split | {s.top1:.1%} / {s.top5:.1%} |\n"
        f"| … always guessing the commonest tokens | {s.baseline_top1:.1%} / {s.baseline_top5:.1%} |\n"
        f"| guesses for one sentence | {mlm['guess'] * 1000:.0f} ms |\n"
        f"| “Claim your free [MASK] now, …”: its top 5 | {example} |\n\n"
        f"HTML report of the finetune run (`spamcore report`): {report['seconds']:.1f} s, {report['mb']:.1f} MB "
        "(Plotly's script is 4.6 MB of it).\n"
    )
    print(text)
    if args.update_docs:
        update_docs(text, section="teaching")


if __name__ == "__main__":
    main()
