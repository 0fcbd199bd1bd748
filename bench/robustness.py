"""Outside the test set: each recipe and the TF-IDF baseline on the robustness suite, next to the test split.

    python bench/robustness.py [--update-docs]                 # docs/robustness.md's tables: every arm, TF-IDF
    python bench/robustness.py --seeds 42,1,2 [--update-docs]  # every arm per seed, and the means

The finished one-off studies behind the default (the augmentation sweep, issue 18's passes) ran from this file and
``bench/study18c.py`` up to commit 7c6091e; their tables and conclusions are in docs/robustness.md.

Every arm trains through ``spamcore.training.loop.train`` on the seed-42 split of the real data, scores the test split
and the hand-written suite (``spamcore/evaluation/suites/robustness.csv``, never trained on), and records wall time.
Arms
run one after another in this process, so their times compare; the bf16 matmul peak measured at the start is
printed beside them (hosts differ).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402 (after the path insert)

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))

ALL, MODERN = "crop,digits,numbers", "bundled:modern"
#: The last commit before issue 18: its supplement is what "before issue 18" trained with (the file has grown since).
BEFORE_18 = "4137cfe"
#: Issue 31 draws perturbations afresh per read (spamcore.training.sampler); "before issue 31" reads a fixed copy per
#: augmentation, one pass, as the default did before.
#: The last commit before issue 27's training changes: "before issue 27" trains with its supplement and settings.
BEFORE_27 = "4b0bbd2"
BEFORE_27_AUGMENT = "crop,digits,numbers,typos,leet,footers"


def supplement_at(commit: str) -> str:
    """The bundled supplement as it was at ``commit``, written to a temporary file (git is needed for that; without
    it the current supplement, said so)."""
    import subprocess
    import tempfile

    try:
        text = subprocess.run(["git", "show", f"{commit}:spamcore/data/corpora/modern.tsv"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        print(f"git show {commit} failed: 'before issue 18' trains with today's supplement", flush=True)
        return MODERN
    path = Path(tempfile.mkdtemp()) / f"modern-{commit}.tsv"
    path.write_text(text)
    return str(path)


#: name -> (recipe, overrides). "finetune (before)" is the default before the robustness work.
ARMS: dict[str, tuple[str, dict]] = {
    "finetune (before: 2 epochs, no augmentation)": ("finetune", {"augment": "", "extra_data": "", "epochs": 2,
                                                                  "normalise": "none"}),
    "finetune (before issue 18: no normalisation, no typos/leet)": ("finetune", {
        "augment": ALL, "normalise": "none", "originals_last": False, "extra_data": f"@{BEFORE_18}"}),
    "finetune (normalise v1: no spelling or leet repair)": ("finetune", {"normalise": "v1"}),
    "finetune (normalise v2: no short-word repair)": ("finetune", {"normalise": "v2"}),
    "finetune (before issue 27)": ("finetune", {"augment": BEFORE_27_AUGMENT, "extra_data": f"@{BEFORE_27}"}),
    "finetune (before issue 31)": ("finetune", {"perturb_share": None, "epochs": 1, "extra_reads": 1}),
    "finetune (default)": ("finetune", {}),
    "frozen (default)": ("frozen", {}),
}
#: What ``--seeds`` runs unless ``--only`` names others: the default against the one before issue 31 (the time
#: target is "at most a third of the default before it, in the same run"; ``--reference-seeds 1`` runs that one on
#: the first seed only: it takes ~9 minutes on a 2-core laptop without bf16).
SEED_ARMS = ("finetune (before issue 31)", "finetune (default)")
TIME_TARGET = "≤ 0.33×"


def bf16_peak_gflops() -> float:
    """Best of a few bf16 matmuls on this device (the in-run peak reported beside the times). The shape is the
    precision probe's: a host without bf16 instructions emulates it at ~1 GFLOP/s, where 2048-cubed matmuls took
    minutes."""
    import torch

    from spamcore.model.precision import matmul_gflops

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return matmul_gflops(torch.bfloat16, device, seconds=1.0)


def run_arm(name: str, recipe: str, overrides: dict, data, model: str | None) -> dict:
    """Train one arm and score it as a user sees it: the run's own "not sure" band (chosen on validation) applies,
    and only a "spam" verdict counts as caught. The probabilities are kept (validation, suites) so that other
    bands can be scored without training again. ``overrides`` may hold ``draw_weights``: the sampler's weights for
    this arm (spamcore.training.sampler.DRAW_WEIGHTS, the rest as they are)."""
    import spamcore.training.sampler

    overrides = dict(overrides)
    # an arm's own sampler weights (spamcore.training.sampler.DRAW_WEIGHTS)
    weights = overrides.pop("draw_weights", None)
    default_weights = spamcore.training.sampler.DRAW_WEIGHTS
    if weights is not None:
        spamcore.training.sampler.DRAW_WEIGHTS = {**default_weights, **weights}
    try:
        return _run_arm(name, recipe, overrides, data, model)
    finally:
        spamcore.training.sampler.DRAW_WEIGHTS = default_weights


def _run_arm(name: str, recipe: str, overrides: dict, data, model: str | None) -> dict:
    from spamcore.data.messages import deduplicate, split_dataset
    from spamcore.model.config import recipe_defaults
    from spamcore.training.loop import train

    if str(overrides.get("extra_data", "")).startswith("@"):
        overrides = {**overrides, "extra_data": supplement_at(overrides["extra_data"][1:])}
    config = recipe_defaults(recipe, **({"model": model} if model else {})).replace(**overrides)
    split = split_dataset(deduplicate(data) if config.dedupe else data)
    start = time.perf_counter()
    result = train(config, split)
    seconds = time.perf_counter() - start
    return score_classifier(name, result.classifier, split, seconds)


def score_classifier(name: str, clf, split, seconds: float) -> dict:
    """An arm's figures for a trained classifier (its band and temperature chosen on ``split.validation``)."""
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.evaluation.repair_effect import repair_effect
    from spamcore.evaluation.robustness import load_intent_suite, suite_report
    from spamcore.evaluation.suites.evasion import evasion_report, load_evasion_suite
    from spamcore.runs.experiment import calibrate_on

    config = clf.config
    # The temperature and "not sure" band a saved run gets, chosen on validation the same way.
    calibration = calibrate_on(clf, split.validation, config.unsure_width)
    probs = clf.predict_proba(list(split.test["text"]))
    test = binary_scores(split.test["label"], probs)
    # The test messages this arm gets wrong: comparing arms and seeds shows which misses are shared.
    wrong = [(text, int(label)) for text, label, p in zip(split.test["text"], split.test["label"], probs, strict=True)
             if (p >= 0.5) != label]
    band = clf.unsure_band
    suite = suite_report(clf.predict_proba, clf.threshold, band=band)
    exam = load_evasion_suite()
    exam_probs = clf.predict_proba(list(exam["text"]))
    evasion = evasion_report(lambda texts: exam_probs, clf.threshold, suite=exam, band=band)
    validation = {"label": [int(x) for x in split.validation["label"]],
                  "spam_probability": [float(x) for x in clf.predict_proba(list(split.validation["text"]))]}
    repair = repair_effect(clf, split.test) if config.normalise == "v4" else None
    return {"name": name, "config": config.to_dict(), "seconds": seconds, "test": test, "test_wrong": wrong,
            "repair": repair,
            "band": band.to_dict(), "temperature": calibration["temperature"], "validation": validation,
            "suite": suite, "evasion": evasion,
            "intent": suite_report(clf.predict_proba, clf.threshold, suite=load_intent_suite(), band=band),
            "evasion_probabilities": [float(x) for x in exam_probs]}


def run_baseline(data) -> dict:
    from spamcore.data.messages import split_dataset
    from spamcore.evaluation.baseline import train_baseline
    from spamcore.evaluation.metrics import binary_scores
    from spamcore.evaluation.robustness import suite_report
    from spamcore.evaluation.suites.evasion import evasion_report

    split = split_dataset(data)
    start = time.perf_counter()
    baseline = train_baseline(split)
    seconds = time.perf_counter() - start
    test = binary_scores(split.test["label"], baseline.test_probabilities)
    def score(texts):
        return baseline.model.predict_proba(list(texts))[:, 1]

    return {"name": "TF-IDF + LR", "config": {}, "seconds": seconds, "test": test, "suite": suite_report(score),
            "evasion": evasion_report(score)}


def summary_table(results: list[dict]) -> str:
    lines = ["| arm | test spam F1 | typed: spam P / R / F1 | modern: spam P / R / F1 | suite F1 | wall time |",
             "|---|---|---|---|---|---|"]
    for r in results:
        g = {x["group"]: x for x in r["suite"]["groups"]}
        cells = [f"{g[k]['spam_precision']:.2f} / {g[k]['spam_recall']:.2f} / {g[k]['spam_f1']:.2f}"
                 for k in ("typed", "modern")]
        lines.append(f"| {r['name']} | {r['test']['spam_f1']:.3f} | {cells[0]} | {cells[1]} | "
                     f"{r['suite']['overall']['spam_f1']:.2f} | {r['seconds']:.0f} s |")
    return "\n".join(lines)


def _group(r: dict, key: str, field: str) -> float:
    return next(g[field] for g in r["suite"]["groups"] if g["group"] == key)


def _intent(r: dict, name: str) -> float:
    """The share right of an intent-suite category (NaN for a result made before the suite existed)."""
    if "intent" not in r:
        return float("nan")
    return next(c["share_correct"] for c in r["intent"]["categories"] if c["category"] == name)


def _category(r: dict, name: str) -> float:
    return next(c["share_correct"] for c in r["suite"]["categories"] if c["category"] == name)


def _trick(r: dict, name: str) -> float:
    return next(t["recall"] for t in r["evasion"]["tricks"] if t["trick"] == name)


def _worst_trick(r: dict) -> float:
    return min(t["recall"] for t in r["evasion"]["tricks"])


def by_arm(results: list[dict]) -> dict[str, list[dict]]:
    """Results grouped by arm, the seed dropped from the name."""
    out: dict[str, list[dict]] = {}
    for r in results:
        out.setdefault(r["name"].rsplit(" seed ", 1)[0], []).append(r)
    return out


#: The figures issue 27 sets targets for, each the mean over an arm's seeds (verdicts: "not sure" is not caught).
TARGETS = {
    "test F1": (lambda r: r["test"]["spam_f1"], "{:.3f}", "≥ 0.96"),
    "typed P": (lambda r: _group(r, "typed", "spam_precision"), "{:.2f}", "≥ 0.95"),
    "typed R": (lambda r: _group(r, "typed", "spam_recall"), "{:.2f}", "≥ 0.95"),
    "typed not sure": (lambda r: _group(r, "typed", "unsure_share"), "{:.1%}", "≤ 5 %"),
    "service notices": (lambda r: _category(r, "ham_service_notices"), "{:.2f}", "≥ 0.95"),
    "worst trick": (_worst_trick, "{:.2f}", "≥ 0.93"),
    "friendly wrapper": (lambda r: _trick(r, "friendly wrapper"), "{:.2f}", "≥ 0.93"),
    "dense swaps": (lambda r: _trick(r, "dense swaps"), "{:.2f}", "≥ 0.93"),
    "band": (lambda r: r["band"]["high"] - r["band"]["low"], "{:.2f}", ""),
    "time": (lambda r: r["seconds"], "{:.0f} s", ""),
}


def seed_means(results: list[dict], reference: str = SEED_ARMS[0]) -> str:
    """One line per arm: the mean over its seeds of the figures the issue sets targets for, and the training time
    against ``reference``'s in the same run."""
    arms = by_arm(results)
    ref = arms.get(reference)
    ref_time = sum(r["seconds"] for r in ref) / len(ref) if ref else None
    header = ["arm (mean of seeds)", "seeds", *TARGETS, f"time ÷ {reference}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
             "| target | | " + " | ".join(t[2] for t in TARGETS.values()) + f" | {TIME_TARGET} |"]
    for name, runs in arms.items():
        cells = [fmt.format(sum(get(r) for r in runs) / len(runs)) for get, fmt, _ in TARGETS.values()]
        ratio = f"{sum(r['seconds'] for r in runs) / len(runs) / ref_time:.2f}×" if ref_time else ""
        lines.append(f"| {name} | {len(runs)} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def mean_report(reports: list[dict]) -> dict:
    """The mean over seeds of suite or evasion reports: every number in categories, groups, overall and tricks."""
    first = reports[0]

    def mean_rows(key: str) -> list[dict]:
        return [{k: (sum(r[key][i][k] for r in reports) / len(reports) if isinstance(v, float) else v)
                 for k, v in row.items()} for i, row in enumerate(first[key])]

    out = {k: mean_rows(k) for k in ("categories", "groups", "tricks") if k in first}
    if "overall" in first:
        out["overall"] = {k: (sum(r["overall"][k] for r in reports) / len(reports) if isinstance(v, float) else v)
                          for k, v in first["overall"].items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", help="comma-separated seeds: every arm once per seed, and the mean printed")
    parser.add_argument("--only", help="';'-separated arm names to run (with --seeds, default: "
                        + "; ".join(SEED_ARMS) + ")")
    parser.add_argument("--arm", action="append", default=[], metavar='NAME={"key": value}',
                        help="a finetune arm of your own: a name and JSON overrides of the recipe (repeatable)")
    parser.add_argument("--reference-seeds", type=int, help="with --seeds: run the reference arm ("
                        f"{SEED_ARMS[0]}) on this many of the seeds only (its time is the ratios' reference)")
    parser.add_argument("--model", help="model id or folder (default: the bundled MiniLM)")
    parser.add_argument("--out", help="append each arm's result as a JSON line to this file")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from spamcore.data.messages import read_messages
    from spamcore.evaluation.robustness import format_suite_table
    from spamcore.evaluation.suites.evasion import format_evasion_table

    data = read_messages(DATA)
    peak = bf16_peak_gflops()
    print(f"bf16 matmul peak in this run: {peak:,.0f} GFLOP/s", flush=True)
    arms = dict(ARMS)
    for spec in args.arm:
        name, overrides = spec.split("=", 1)
        arms[name] = ("finetune", json.loads(overrides))
    own = [spec.split("=", 1)[0] for spec in args.arm]
    only = args.only.split(";") if args.only else (SEED_ARMS if args.seeds and not own else [])
    if only or own:
        arms = {k: v for k, v in arms.items() if k in only or k in own}
    if args.seeds:
        seeds = args.seeds.split(",")
        arms = {f"{name} seed {seed}": (recipe, {**overrides, "seed": int(seed)})
                for name, (recipe, overrides) in arms.items()
                for seed in (seeds[: args.reference_seeds] if name == SEED_ARMS[0] and args.reference_seeds
                             else seeds)}
    results = []
    for name, (recipe, overrides) in arms.items():
        results.append(run_arm(name, recipe, overrides, data, args.model))
        r = results[-1]
        tricks = " ".join(f"{t['trick']} {t['recall']:.2f}" for t in r["evasion"]["tricks"])
        g = {x["group"]: x for x in r["suite"]["groups"]}
        print(f"{name}: {r['seconds']:.1f} s, band {r['band']['low']:.3f}-{r['band']['high']:.3f}, test F1 "
              f"{r['test']['spam_f1']:.3f}, suite F1 {r['suite']['overall']['spam_f1']:.3f} typed P/R "
              f"{g['typed']['spam_precision']:.2f}/{g['typed']['spam_recall']:.2f} not sure "
              f"{g['typed']['unsure_share']:.1%}, service notices {_category(r, 'ham_service_notices'):.2f}, "
              f"modern F1 {g['modern']['spam_f1']:.3f} | {tricks}", flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps({k: v for k, v in r.items()}, default=str) + "\n")
    if args.seeds:
        means = seed_means(results)
        arms_ = by_arm(results)
        categories = format_suite_table({n: mean_report([r["suite"] for r in rs]) for n, rs in arms_.items()})
        tricks = format_evasion_table({n: mean_report([r["evasion"] for r in rs]) for n, rs in arms_.items()})
        print(means, "", categories, "", tricks, sep="\n", flush=True)
        if args.update_docs:
            sys.path.insert(0, str(ROOT / "bench"))
            from docs_tables import update_docs
            from train_speed import cpu_name

            shown = [a for i, a in enumerate(sys.argv[1:]) if a != "--out" and sys.argv[i] != "--out"]
            command = " ".join(["python bench/robustness.py", *shown])
            update_docs(f"Measured {date.today().isoformat()} by `{command}` on {cpu_name()}; bf16 matmul peak "
                        f"in the same run {peak:,.0f} GFLOP/s. Means over the seeds, scored by the verdict a user "
                        "sees: each run's own \"not sure\" band applies and counts as not caught (spam) and not "
                        "passed (ham). Worst trick = the lowest share caught over every trick of the evasion suite, "
                        f"paraphrase included.\n\n{means}\n\nPer category, share right (mean of seeds):\n\n"
                        f"{categories}\n\nPer trick, share of the spam caught (mean of seeds):\n\n{tricks}",
                        section="seeds")
        return
    results.append(run_baseline(data))
    summary = summary_table(results)
    categories = format_suite_table({r["name"]: r["suite"] for r in results})
    tricks = format_evasion_table({r["name"]: r["evasion"] for r in results})
    print(summary, "\n", categories, "\n", tricks, sep="\n")
    if args.update_docs:
        sys.path.insert(0, str(ROOT / "bench"))
        from docs_tables import update_docs
        from train_speed import cpu_name

        head = (f"Measured {date.today().isoformat()} by `python bench/robustness.py` on {cpu_name()}; bf16 matmul "
                f"peak in the same run {peak:,.0f} GFLOP/s. Test split: 837 messages (seed 42); suite: "
                f"{len(results[0]['suite']['messages'])} hand-written messages, never trained on. Per category: "
                "share of messages classified right.")
        trick_head = ("The evasion suite (`spamcore/evaluation/suites/evasion.py`): the suite's spam messages "
                      "rewritten with each trick used against filters, and hand-written paraphrases; share of the spam "
                      "still caught.")
        update_docs(f"{head}\n\n{summary}\n\n{categories}\n\n{trick_head}\n\n{tricks}", section="robustness")


if __name__ == "__main__":
    main()
