"""A class round, simulated from a hand-written class: does retraining on the class's messages make the model harder
to fool without making it forget?

    python bench/class_round.py [--seeds 3] [--run RUN_DIR] [--reference] [--keep 1.0] [--lr 1e-4] [--replay 1500]
                                [--augment LIST] [--copies] [--update-docs]

The class (``bench/class_round_messages.tsv``, written for this bench): 12 students, 5 or 6 messages each — spam
wrapped in friendly chat, leetspeak, spaced-out letters, "wrong number" and romance openers, everyday ham that uses
spam's words, service notices — and 4 messages whose label lies (spam called ham), which moderation rejects.

Steps, with the app's own code: train the attacked run (the default ``finetune`` on the seed-42 split; or ``--run``),
judge every message with it and store it in a real class store (SQLite), accept the honest ones and reject the
lies, then for each seed retrain exactly as the board's Retrain does (``retrain_config``: continue from the attacked
run, the accepted messages less the held-out third, a replayed sample of the original training split and the
supplement) and score before → after on the same messages (``before_after``). The bf16 matmul peak of this run is
printed beside the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = Path(os.environ.get("SPAMCORE_DATA", ROOT.parent / "shared" / "data" / "SMSSpamCollection"))
MESSAGES = ROOT / "bench" / "class_round_messages.tsv"


def attacked_run(runs: Path, run_dir: str | None) -> Path:
    from spamcore.data.messages import read_messages
    from spamcore.model.config import recipe_defaults
    from spamcore.runs.experiment import run_experiment

    if run_dir:
        return Path(run_dir)
    target = runs / "attacked"
    start = time.perf_counter()
    run_experiment(recipe_defaults("finetune"), read_messages(DATA), target, data_name="SMS Spam Collection")
    print(f"attacked run trained in {time.perf_counter() - start:.0f} s", flush=True)
    return target


def play_round(store, run) -> int:
    """Every message judged by the attacked run and stored; honest ones accepted, lies rejected. The round's id."""
    from spamcore.classroom.rounds import judge
    from spamcore.model.saved import load_classifier

    classifier = load_classifier(run.path)
    class_ = pd.read_csv(MESSAGES, sep="\t")
    round_ = store.start_round(run.name)
    fooled = 0
    for i, row in class_.iterrows():
        attempt = judge(classifier, row["text"], row["claimed"])
        fooled += attempt.fooled
        sid = store.submit(round_.id, f"{row['student']}-{i}", row["student"], row["text"], row["claimed"],
                           attempt.verdict, attempt.spam_probability)
        store.moderate(sid, "accepted" if row["honest"] == "yes" else "rejected")
    print(f"{len(class_)} messages from {class_['student'].nunique()} students; {fooled} fooled the attacked run; "
          f"{(class_['honest'] == 'no').sum()} lying labels rejected", flush=True)
    return round_.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="retrain with seeds 42, 43, ... (default 3)")
    parser.add_argument("--run", help="the attacked run (default: train the default finetune first)")
    parser.add_argument("--lr", type=float, help="the retrain's learning rate (default: the app's)")
    parser.add_argument("--replay", type=int, help="original messages replayed (default: the app's)")
    parser.add_argument("--epochs", type=int, help="the retrain's epochs (default: the app's)")
    parser.add_argument("--augment", help="the retrain's augmentations, comma-separated (default: the app's)")
    parser.add_argument("--keep", type=float, help="weight of keeping the attacked run's predictions (distil_weight; "
                        "0 = plain retrain, as before issue 33; default: the app's)")
    parser.add_argument("--copies", action="store_true", help="augment with fixed copies, one pass (the retrain "
                        "before issue 31), not perturbations drawn per read")
    parser.add_argument("--reference", action="store_true", help="also retrain once (seed 42) as before issues 31/33 "
                        "(fixed copies, one pass, no keeping) and give the time ratio")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    from robustness import bf16_peak_gflops

    from spamcore.classroom.rounds import (
        HELD_ERRORS,
        HELD_FOOLED,
        HELD_UNSURE,
        SUITE_F1,
        TEST_F1,
        before_after,
        class_file_name,
        replay_data,
        retrain_config,
    )
    from spamcore.classroom.store import open_store, split_for_training
    from spamcore.data.messages import read_messages, split_dataset, write_messages
    from spamcore.evaluation.robustness import load_suite
    from spamcore.model.saved import load_classifier
    from spamcore.runs.experiment import run_experiment
    from spamcore.runs.store import read_run

    peak = bf16_peak_gflops()
    print(f"bf16 matmul peak in this run: {peak:,.0f} GFLOP/s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="class-round-"))
    store = open_store(f"sqlite:///{work / 'class.sqlite3'}")
    run = read_run(attacked_run(work / "runs", args.run))
    round_id = play_round(store, run)
    frame = store.frame(round_id)
    train_part, held_out = split_for_training(frame)
    print(f"{len(train_part)} accepted messages to learn from, {len(held_out)} held out", flush=True)
    class_file = write_messages(train_part, work / class_file_name(round_id))  # as the board hands it to training
    data = read_messages(DATA)
    test = split_dataset(data).test
    replay = replay_data(data)
    before = load_classifier(run.path)
    rows = []
    reference_seconds = None
    if args.reference:  # the retrain as it was before issues 31 and 33, timed in this run: fixed copies, no keeping
        config = retrain_config(run).replace(perturb_share=None, epochs=1, distil_weight=0.0)
        config = config.replace(extra_data=f"{config.extra_data}+{class_file}")
        start = time.perf_counter()
        run_experiment(config, replay, work / "runs" / "reference", data_name="replay")
        reference_seconds = time.perf_counter() - start
        table = before_after(held_out, test, before, load_classifier(work / "runs" / "reference"))
        print(f"reference (before issues 31/33: copies, no keeping), seed 42: retrain {reference_seconds:.0f} s\n"
              f"{table.round(3).to_string()}\n", flush=True)
        reference_row = {f"{m} {w}": table.loc[m, w] for m in table.index for w in ("before", "after")}
    for seed in range(42, 42 + args.seeds):
        overrides = {"seed": seed, **{k: v for k, v in (("lr", args.lr), ("max_rows", args.replay),
                                                         ("epochs", args.epochs), ("augment", args.augment),
                                                         ("distil_weight", args.keep)) if v is not None}}
        if args.copies:
            overrides.update(perturb_share=None, epochs=args.epochs or 1)
        base = retrain_config(run)
        config = base.replace(extra_data=f"{base.extra_data}+{class_file}", **overrides)
        start = time.perf_counter()
        run_experiment(config, replay, work / "runs" / f"retrained-{seed}", data_name="replay")
        seconds = time.perf_counter() - start
        table = before_after(held_out, test, before, load_classifier(work / "runs" / f"retrained-{seed}"))
        rows.append({"seed": seed, "seconds": seconds, **{f"{m} {w}": table.loc[m, w] for m in table.index
                                                          for w in ("before", "after")}})
        print(f"seed {seed}: retrain {seconds:.0f} s\n{table.round(3).to_string()}\n", flush=True)
    results = pd.DataFrame(rows)
    lines = ["| seed | held-out fooled | held-out not sure | held-out fooled or not sure | test spam F1 | suite "
             "spam F1 | retrain |", "|---|---|---|---|---|---|---|"]
    reference = [{"seed": "42, before issues 31/33", "seconds": reference_seconds, **reference_row}] if (
        reference_seconds) else []
    for r in [*reference, *rows, {"seed": "mean", **results.drop(columns="seed").mean().to_dict()}]:
        lines.append(f"| {r['seed']} | {r[f'{HELD_FOOLED} before']:.2f} → {r[f'{HELD_FOOLED} after']:.2f} | "
                     f"{r[f'{HELD_UNSURE} before']:.2f} → {r[f'{HELD_UNSURE} after']:.2f} | "
                     f"{r[f'{HELD_ERRORS} before']:.2f} → {r[f'{HELD_ERRORS} after']:.2f} | "
                     f"{r[f'{TEST_F1} before']:.3f} → {r[f'{TEST_F1} after']:.3f} | "
                     f"{r[f'{SUITE_F1} before']:.3f} → {r[f'{SUITE_F1} after']:.3f} | {r['seconds']:.0f} s |")
    drop = statistics.mean(r[f"{TEST_F1} before"] - r[f"{TEST_F1} after"] for r in rows)
    errors = (statistics.mean(r[f"{HELD_ERRORS} before"] for r in rows),
              statistics.mean(r[f"{HELD_ERRORS} after"] for r in rows))
    asked = (("lr", args.lr), ("max_rows", args.replay), ("epochs", args.epochs), ("distil_weight", args.keep))
    settings = retrain_config(run).replace(**{k: v for k, v in asked if v is not None})
    shown = [Path(a).name if a == args.run else a for a in sys.argv[1:]]  # a run by its folder's name, not a path
    head = (f"Measured {date.today().isoformat()} by `python bench/class_round.py {' '.join(shown)}` "
            f"(retrain: lr {settings.lr:g}, {settings.epochs} epoch(s), {settings.max_rows} replayed messages, keeping "
            f"the attacked run's predictions at weight {settings.distil_weight:g}); bf16 "
            f"matmul peak in the same run {peak:,.0f} GFLOP/s. {len(held_out)} held-out class messages, the "
            f"{len(test)}-message test split and the {len(load_suite())}-message suite, the same for both models.")
    mean_seconds = statistics.mean(r["seconds"] for r in rows)
    verdict = (f"Held-out class errors (fooled or not sure) {errors[0]:.2f} → {errors[1]:.2f} (mean of seeds); "
               f"test-split spam F1 {'dropped' if drop > 0 else 'rose'} by {abs(drop):.3f} on average "
               f"({'within' if drop <= 0.005 else 'beyond'} the 0.005 tolerance)."
               + (f" A retrain takes {mean_seconds:.0f} s, {mean_seconds / reference_seconds:.2f}× the retrain before "
                  f"issues 31/33 in the same run ({reference_seconds:.0f} s)." if reference_seconds else ""))
    text = "\n".join([head, "", *lines, "", verdict])
    print(text)
    if args.update_docs:
        from docs_tables import update_docs

        update_docs(text, "class-round")


if __name__ == "__main__":
    main()
