"""The ready model (issue 32): an MPNet teacher distilled into the MiniLM student, measured the way
bench/robustness.py measures every recipe, and the command that rebuilds the shipped model.

    # the teacher (once; about an hour on a 2-core laptop with bf16, minutes on a GPU), then its judgement as data
    python bench/ready_model.py teacher --out ~/spamcore-teacher
    python bench/ready_model.py store --teacher ~/spamcore-teacher      # writes bench/teacher-mpnet.json
    # students over seeds from the stored file, beside the teacher and today's default, in one run
    python bench/ready_model.py students --teacher-run ~/spamcore-teacher --seeds 42,1,2 --out results.jsonl
    # the shipped model: one student from the stored file, written into spamcore/model/shipped/ (what the wheel carries)
    python bench/ready_model.py build

Every figure is scored as a user sees it (the run's "not sure" band, chosen on validation; only "spam" counts as
caught). The repair view's damage is measured on the same weights read without it: the share of ham (test split and
suites) whose verdict changes, and, for the dense swaps, the spam caught only because of the repair.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from robustness import _category, _group, _intent, _trick, bf16_peak_gflops, by_arm, run_arm, score_classifier

#: The teacher's recipe (issue 38): the strongest measured — MPNet at lr 5e-5, one pass over a fixed copy per
#: augmentation (``perturb_share`` None, docs/robustness.md: service notices 0.97, typed recall 0.98) — on the
#: training split, the supplement, the everyday messages (as written) and the contrast pairs, each read once.
CRUISE = "You have won a free cruise, reply YES"
#: The teacher's judgement kept as data (spamcore.model.teacher_file): ``store`` writes it, ``build`` reads it.
TEACHER_FILE = Path(__file__).resolve().parent / "teacher-mpnet.json"
TEACHER = {"model": "bundled:mpnet-base", "lr": 5e-5, "epochs": 1, "perturb_share": None, "extra_reads": 1,
           "extra_data": "bundled:modern+bundled:everyday+bundled:contrast"}


def student(teacher: str, **changes) -> dict:
    """The student's settings beside the finetune default (spamcore.model.ready.STUDENT)."""
    from spamcore.model.ready import student_settings

    return {**student_settings(teacher), **changes}


#: Issue 38's targets (mean of three seeds): (how to read a result, format, target).
TARGETS_38 = {
    "test F1": (lambda r: r["test"]["spam_f1"], "{:.3f}", "≥ 0.96"),
    "about scams (ham)": (lambda r: _intent(r, "ham_about_scams"), "{:.2f}", "≥ 0.90"),
    "link-less scams": (lambda r: _intent(r, "scam_no_link"), "{:.2f}", "≥ 0.90"),
    "family new number (ham)": (lambda r: _intent(r, "ham_family_new_number"), "{:.2f}", "≥ 0.90"),
    "money-asking new number": (lambda r: _intent(r, "scam_money_new_number"), "{:.2f}", "≥ 0.95"),
    "typed P": (lambda r: _group(r, "typed", "spam_precision"), "{:.2f}", "≥ 0.95"),
    "typed R": (lambda r: _group(r, "typed", "spam_recall"), "{:.2f}", "≥ 0.95"),
    "service notices": (lambda r: _category(r, "ham_service_notices"), "{:.2f}", "≥ 0.95"),
    "friendly wrapper": (lambda r: _trick(r, "friendly wrapper"), "{:.2f}", "≥ 0.93"),
    "dense swaps": (lambda r: _trick(r, "dense swaps"), "{:.2f}", ""),
    "time": (lambda r: r["seconds"], "{:.0f} s", ""),
}


def tables(results: list[dict]) -> str:
    """Seed means against issue 38's targets, the repair view's effect, and the suites per category and per trick."""
    from robustness import mean_report

    from spamcore.evaluation.robustness import format_suite_table
    from spamcore.evaluation.suites.evasion import format_evasion_table

    arms = by_arm(results)
    header = ["arm (mean of seeds)", "seeds", *TARGETS_38]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
             "| target (issue 38) | | " + " | ".join(target for _, _, target in TARGETS_38.values()) + " |"]
    for name, runs in arms.items():
        cells = [fmt.format(sum(get(r) for r in runs) / len(runs)) for get, fmt, _ in TARGETS_38.values()]
        lines.append(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")
    repaired = [(name, runs) for name, runs in arms.items() if all(r.get("repair") for r in runs)]
    if repaired:
        lines += ["", "| arm (mean of seeds) | ham verdicts changed by the repair | dense swaps caught | by the model "
                  "alone | only thanks to the repair |", "|---|---|---|---|---|"]
        for name, runs in repaired:
            def mean(key, runs=runs):
                return sum(r["repair"][key] for r in runs) / len(runs)
            changed = sum(r["repair"]["ham_changed"] for r in runs) / len(runs)
            lines.append(f"| {name} | {mean('ham_changed_share'):.2%} ({changed:.1f} of {runs[0]['repair']['ham']}) "
                         f"| {mean('dense_caught'):.2f} | {mean('dense_model_share'):.2f} | "
                         f"{mean('dense_repair_share'):.2f} |")
    suites = {name: mean_report([r["suite"] for r in runs]) for name, runs in arms.items()}
    evasion = {name: mean_report([r["evasion"] for r in runs]) for name, runs in arms.items()}
    intent = {name: mean_report([r["intent"] for r in runs]) for name, runs in arms.items()
              if all("intent" in r for r in runs)}
    if intent:
        lines += ["", "The intent suite, share right (mean of seeds):", "", format_suite_table(intent)]
    lines += ["", "Per category, share right (mean of seeds):", "", format_suite_table(suites), "",
              "Per trick, share of the spam caught (mean of seeds):", "", format_evasion_table(evasion)]
    return "\n".join(lines)


def cost(reference: str, messages: int) -> None:
    """Server CPU per typed verdict (one message a call, as Classify asks) of both models, alternated in one
    process; then ``spamcore predict "text"`` as a fresh process, with the ready model and with the run."""
    import subprocess

    import torch

    from spamcore.evaluation.robustness import load_suite
    from spamcore.model.ready import READY_MODEL
    from spamcore.model.saved import load_classifier

    torch.set_num_threads(1)  # as Streamlit's script threads run it (docs/results.md, the teacher's laptop)
    texts = list(load_suite()["text"])[:messages]
    models = {"today's default (run)": load_classifier(reference), "ready model": load_classifier(READY_MODEL)}
    for model in models.values():
        model.predict(texts[:5])  # warm
    # Rounds of every message through one model, then the other, in turns; each model's best round counts (the
    # host's noise only ever adds time; message-by-message alternation was order-biased by 0.99x-1.17x).
    rounds: dict[str, list[float]] = {name: [] for name in models}
    for r in range(6):
        for name, model in (list(models.items()) if r % 2 == 0 else list(models.items())[::-1]):
            start = time.process_time()
            for text in texts:
                model.predict([text])
            rounds[name].append(time.process_time() - start)
    spent = {name: min(values) for name, values in rounds.items()}
    base = spent["today's default (run)"]
    for name, seconds in spent.items():
        print(f"{name}: {seconds / len(texts) * 1000:.1f} ms CPU per verdict ({seconds / base:.2f}×)")
    for name, args in (("ready model", []), ("run folder", ["--run", reference])):
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "spamcore", "predict", *args, CRUISE], check=True,
                           capture_output=True)
            walls.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import spamcore.cli, torch, transformers"], check=True)
        imports = time.perf_counter() - start
        print(f"one-shot spamcore predict, {name}: {sorted(walls)[1]:.2f} s wall (median of 3; importing spamcore, "
              f"torch and transformers alone: {imports:.2f} s)")


def step_lines(every: int):
    """A training callback printing every ``every``-th step with the time so far (a teacher trains for an hour)."""
    from spamcore.training.loop import StepProgress

    def report(progress) -> None:
        if isinstance(progress, StepProgress) and (progress.global_step % every == 0
                                                   or progress.global_step == progress.total_steps):
            print(f"step {progress.global_step}/{progress.total_steps} loss {progress.loss:.4f} "
                  f"{progress.elapsed:.0f} s", flush=True)

    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("teacher", help="train the MPNet teacher (a run folder)")
    t.add_argument("--out", required=True)
    t.add_argument("--seed", type=int, default=42)
    s = sub.add_parser("students", help="students over seeds, the teacher and the default beside them")
    s.add_argument("--teacher", default=str(TEACHER_FILE), help="a teacher file (default: the stored one) or run")
    s.add_argument("--teacher-run", help="the teacher's run folder, to score the teacher beside its students")
    s.add_argument("--seeds", default="42")
    s.add_argument("--arm", action="append", default=[], metavar='NAME={"key": value}',
                   help="a student arm: settings over the student's")
    s.add_argument("--no-reference", action="store_true", help="skip the finetune default and the teacher")
    s.add_argument("--reference-seeds", type=int, help="run the finetune default on the first N seeds only")
    s.add_argument("--out", help="append each result as a JSON line to this file")
    st = sub.add_parser("store", help="the teacher run's judgement of every text a student reads, as a teacher file")
    st.add_argument("--teacher", required=True, help="the teacher's run folder")
    st.add_argument("--out", default=str(TEACHER_FILE))
    st.add_argument("--commit", help="the commit that trained the teacher (default: this checkout's HEAD)")
    b = sub.add_parser("build", help="train the shipped student and write it into spamcore/model/shipped/")
    b.add_argument("--teacher", default=str(TEACHER_FILE), help="a teacher file (default: the stored one) or run")
    b.add_argument("--seed", type=int, default=42)
    c = sub.add_parser("cost", help="per-verdict CPU of the ready model against a run of today's default, and a "
                       "one-shot spamcore predict's wall time, in the same run")
    c.add_argument("--run", required=True, help="a finetune run of today's default (the reference)")
    c.add_argument("--messages", type=int, default=200)
    tb = sub.add_parser("tables", help="the model card's tables (Markdown) from a students run's JSON lines")
    tb.add_argument("results")
    args = parser.parse_args()
    if args.command == "tables":
        print(tables([json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]))
        return
    if args.command == "cost":
        cost(args.run, args.messages)
        return

    from spamcore.data.messages import read_messages, resolve_data

    data = read_messages(resolve_data(None))
    print(f"bf16 matmul peak in this run: {bf16_peak_gflops():.0f} GFLOP/s", flush=True)
    if args.command == "teacher":
        from spamcore.model.config import recipe_defaults
        from spamcore.runs.experiment import run_experiment

        config = recipe_defaults("finetune", seed=args.seed).replace(**TEACHER)  # replace: None is a setting here
        run_experiment(config, data, Path(args.out), callback=step_lines(every=25))
        print(f"teacher saved to {args.out}")
        return
    if args.command == "store":
        import subprocess

        from spamcore.runs.packaging import store_teacher

        commit = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                               text=True, cwd=Path(__file__).parent).stdout.strip()
        out = store_teacher(args.teacher, data, Path(args.out), commit=commit)
        print(f"teacher file written to {out} ({out.stat().st_size / 1e3:.0f} kB)")
        return
    if args.command == "build":
        from spamcore.runs.packaging import build

        folder = build(args.teacher, data, seed=args.seed, progress=lambda line: print(line, flush=True))
        print(f"ready model written to {folder}")
        return

    from spamcore.data.messages import split_dataset
    from spamcore.model.saved import load_classifier
    from spamcore.runs.store import read_run

    seeds = [int(x) for x in args.seeds.split(",")]
    arms = {"student (distilled)": {}}
    for spec in args.arm:
        name, _, settings = spec.partition("=")
        arms[name] = json.loads(settings)
    results = []

    def keep(result: dict) -> None:
        results.append(result)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(result) + "\n")
        cells = ", ".join(f"{k} {fmt.format(get(result))}" for k, (get, fmt, _) in TARGETS_38.items())
        print(f"{result['name']}: {cells}", flush=True)
        if result.get("repair"):
            r = result["repair"]
            print(f"  repair view: ham verdicts changed {r['ham_changed']}/{r['ham']} ({r['ham_changed_share']:.2%}); "
                  f"dense swaps caught {r['dense_caught']:.2f} = model alone {r['dense_model_share']:.2f} + repair "
                  f"{r['dense_repair_share']:.2f}", flush=True)

    if not args.no_reference:
        split = split_dataset(data)
        if args.teacher_run:
            keep(score_classifier("teacher (MPNet)", load_classifier(args.teacher_run), split,
                                  float(read_run(args.teacher_run).meta.get("seconds", 0))))
        from spamcore.model.ready import READY_MODEL
        from spamcore.runs.store import ready_run

        if ready_run() is not None:  # the shipped model, measured the same way (its half-precision weights)
            keep(score_classifier("ready model (shipped)", load_classifier(READY_MODEL), split,
                                  float(ready_run().meta.get("seconds", 0))))
    for i, seed in enumerate(seeds):
        if not args.no_reference and (args.reference_seeds is None or i < args.reference_seeds):
            keep(run_arm(f"finetune (default) seed {seed}", "finetune", {"seed": seed}, data, None))
        for name, changes in arms.items():
            settings = student(args.teacher, seed=seed, **changes)
            result = run_arm(f"{name} seed {seed}", "finetune", settings, data, None)
            keep(result)
    for name, runs in by_arm(results).items():
        cells = ", ".join(f"{k} {fmt.format(sum(get(r) for r in runs) / len(runs))}"
                          for k, (get, fmt, _) in TARGETS_38.items())
        print(f"mean {name} ({len(runs)}): {cells}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"bench finished in {time.perf_counter() - start:.0f} s")
