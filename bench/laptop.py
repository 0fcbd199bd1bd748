"""The teacher's laptop: what the app costs while it watches, what a verdict costs, how fast bulk runs, and which
precision wins — every figure as a ratio against a reference measured in the same run.

    python bench/laptop.py [--run RUN_DIR] [--messages 20] [--skip-training] [--update-docs]

1. Precision: matmul GFLOP/s in fp32 and bf16 (this run's bf16 peak, printed beside every timing), and what
   ``precision=auto`` picks from them.
2. Bulk: ``spamcore predict RUN --timing`` on the 5,574 messages (model load printed apart) against a naive fp32
   Hugging Face loop (batches of 32 in file order, padded to the longest, no sorting) in this process, plus the
   arms tried: fp32 and bf16 in spamcore's batching, batch sizes, dynamic int8. Max probability difference and
   verdict flips against the naive loop for each.
3. The app, started as a contributor does (``make app``), a page open in headless Chromium:
   - idle: server CPU over 20 s with every page opened, then Train open;
   - training: a default ``finetune`` started from the Train page, the page open, alternated with the same command
     in a terminal (``--pairs`` app runs, each between two terminal runs; the median ratio is reported), under the
     shipped trainer settings (nice 10, torch's default threads) and two others (nice 0; 1 thread);
   - verdicts: server CPU per typed message on Classify (verdict only, and with "why" turned on), read from the
     server process's own CPU time across ``--messages`` messages.

The run trained from the Train page is the one Classify then uses. The figures go to ``bench/last_laptop.json``;
``--update-docs`` writes the table between the ``laptop`` markers of docs/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
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
from devtools.browser import CHROMIUM, CHROMIUM_ARGS, free_port, tree_cpu_seconds, wait_healthy  # noqa: E402
from spamcore.data.messages import BESIDE_CHECKOUT  # noqa: E402

DATA = os.environ.get("SPAMCORE_DATA", str(BESIDE_CHECKOUT))
SPAMCORE = [sys.executable, "-m", "spamcore"]
PAGES = ("Data", "Train", "Evaluate", "Classify", "Runs", "How BERT learns", "Home")
IDLE_SECONDS = 20
#: Typed on Classify, one after another (written for this bench; none is a line of the data set).
TYPED = [
    "are we still on for lunch tomorrow?", "Your parcel is held: pay the 1.99 fee at parcel-desk.example today",
    "can you pick up milk on the way home", "WIN a free cruise! Reply YES to claim your prize now",
    "Your code is 482913. Do not share it with anyone.", "running 10 min late, sorry",
    "Bank alert: unusual sign-in. Verify at secure-check.example within 24h", "happy birthday!! have a great day",
    "URGENT: your account is locked, call 0800 123 456", "did you finish the maths homework?",
]


# ---------------------------------------------------------------------------------------------------- precision
def precision_peaks() -> dict:
    import torch

    from spamcore.model.precision import MARGIN, matmul_gflops

    cpu = torch.device("cpu")
    fp32, bf16 = matmul_gflops(torch.float32, cpu, 0.5), matmul_gflops(torch.bfloat16, cpu, 0.5)
    return {"fp32_gflops": fp32, "bf16_gflops": bf16, "bf16_over_fp32": bf16 / fp32,
            "auto_picks": "bf16" if bf16 >= MARGIN * fp32 else "fp32", "threads": torch.get_num_threads()}


# --------------------------------------------------------------------------------------------------------- bulk
def train_terminal(out: Path) -> float:
    """``spamcore train --recipe finetune`` as a teacher types it; wall seconds, process start included."""
    started = time.perf_counter()
    subprocess.run([*SPAMCORE, "train", "--recipe", "finetune", "--data", DATA, "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def bulk(run_dir: Path) -> dict:
    import copy
    import warnings

    import numpy as np
    import torch

    from spamcore.data.messages import read_messages
    from spamcore.model.saved import load_classifier

    texts = list(read_messages(DATA)["text"])
    classifier = load_classifier(run_dir)
    tok, module = classifier.tokenizer, classifier.module
    m = classifier.config.max_length

    @torch.no_grad()
    def naive() -> np.ndarray:
        out = []
        for i in range(0, len(texts), 32):
            enc = tok(texts[i:i + 32], padding=True, truncation=True, max_length=m, return_tensors="pt")
            out.append(torch.softmax(module(enc["input_ids"], enc["attention_mask"]), -1)[:, 1].numpy())
        return np.concatenate(out)

    def timed(work) -> tuple[float, np.ndarray]:
        work()  # warm-up: oneDNN builds its kernels per shape on the first pass
        started = time.perf_counter()
        probs = work()
        return len(texts) / (time.perf_counter() - started), probs

    from spamcore.model.precision import cpu_supports_bf16

    rows = {}
    naive_rate, reference = timed(naive)
    rows["naive fp32 loop"] = (naive_rate, reference)
    auto = classifier.bf16
    # On a CPU without bf16 instructions bf16 is emulated at ~1 GFLOP/s: its arms would take hours and say nothing,
    # and the batch sizes were measured before (no difference); the int8 arm too (not kept: it changed verdicts).
    native = cpu_supports_bf16()
    for bf16 in (False, True) if native else (False,):
        classifier.bf16 = bf16
        for batch in (32, 64, 256) if native else (64,):
            rows[f"spamcore {'bf16' if bf16 else 'fp32'}, batch {batch}"] = timed(
                lambda b=batch: classifier.predict_proba(texts, b))
    classifier.bf16 = False
    if native:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's deprecation notice
            classifier.module = torch.ao.quantization.quantize_dynamic(copy.deepcopy(module), {torch.nn.Linear},
                                                                       dtype=torch.qint8)
        rows["dynamic int8 (not kept), batch 64"] = timed(lambda: classifier.predict_proba(texts, 64))
    classifier.module, classifier.bf16 = module, auto

    threshold = classifier.threshold
    table = {name: {"msgs_per_s": rate, "vs_naive": rate / naive_rate,
                    "max_prob_diff": float(np.abs(probs - reference).max()),
                    "verdict_flips": int(((probs >= threshold) != (reference >= threshold)).sum())}
             for name, (rate, probs) in rows.items()}

    cli = subprocess.run([*SPAMCORE, "predict", str(run_dir), "--timing"], input="\n".join(texts), text=True,
                         capture_output=True, check=True, cwd=ROOT)
    found = re.search(r"loaded in ([\d.]+) s; ([\d,]+) messages classified in ([\d.]+) s", cli.stderr)
    verdicts = [line.split("\t", 2) for line in cli.stdout.splitlines()]
    cli_probs = np.array([float(v[1]) for v in verdicts])
    load_s, classify_s = float(found.group(1)), float(found.group(3))
    return {"rows": table, "naive_msgs_per_s": naive_rate, "auto_bf16": auto,
            "cli": {"load_s": load_s, "classify_s": classify_s, "msgs_per_s": len(texts) / classify_s,
                    "vs_naive": len(texts) / classify_s / naive_rate,
                    "max_prob_diff": float(np.abs(cli_probs - reference).max()),
                    "verdict_flips": int(((cli_probs >= threshold) != (reference >= threshold)).sum())}}


# ---------------------------------------------------------------------------------------------------------- app
class App:
    """``make -s app`` on a free port with its own runs folder and cache, and one Chromium page on it."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.runs, self.tmp = tmp / "runs", tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        environment = {**os.environ, "SPAMCORE_RUNS": str(self.runs), "SPAMCORE_DATA": DATA,
                       "SPAMCORE_CACHE": os.environ.get("SPAMCORE_CACHE", str(tmp / "cache")),
                       "HF_HUB_OFFLINE": "1", **(env or {})}
        self.log = (tmp / f"make-app-{self.port}.log").open("w")
        self.make = subprocess.Popen(["make", "-s", "app", f"PORT={self.port}"], cwd=ROOT, env=environment,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self) -> App:
        from playwright.sync_api import sync_playwright

        wait_healthy(self.url, self.make)
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.page = self.browser.new_page(viewport={"width": 1440, "height": 1200})
        self.page.set_default_timeout(120_000)
        self.page.goto(self.url)
        self.page.wait_for_selector("h1")
        return self

    def __exit__(self, *exc) -> None:
        self.browser.close()
        self._playwright.stop()
        os.killpg(self.make.pid, signal.SIGTERM)
        self.make.wait(30)
        self.log.close()

    def cpu(self) -> float:
        return tree_cpu_seconds(self.make.pid)

    def settle(self, ms: int = 500) -> None:
        self.page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')")
        self.page.wait_for_timeout(ms)

    def go(self, title: str) -> None:
        self.page.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile(f"{title}$")).click()
        self.page.wait_for_selector("h1")
        self.settle()

    def idle_share(self) -> float:
        before = self.cpu()
        time.sleep(IDLE_SECONDS)
        return (self.cpu() - before) / IDLE_SECONDS

    def train_from_page(self) -> tuple[float, float]:
        """Start the default finetune on Train and keep the page open until the run is finished; wall seconds
        from the click, and the server's CPU share meanwhile."""
        self.go("Train")
        self.page.locator(".st-key-train_recipe label").filter(has_text="finetune").click()
        self.settle(300)
        before_runs = set(self.runs.glob("*/run.json"))
        cpu = self.cpu()
        started = time.perf_counter()
        self.page.locator(".st-key-train_start button").click()
        while True:
            done = [p for p in set(self.runs.glob("*/run.json")) - before_runs
                    if json.loads(p.read_text()).get("status") in ("finished", "failed", "stopped")]
            if done:
                break
            time.sleep(0.25)
        seconds = time.perf_counter() - started
        status = json.loads(done[0].read_text())["status"]
        if status != "finished":
            raise SystemExit(f"the in-app training ended {status}: see {done[0].parent}")
        return seconds, (self.cpu() - cpu) / seconds

    def verdict_cpu(self, messages: int, why: bool) -> float:
        """Server CPU seconds per typed message on Classify (everything the page does by itself included)."""
        self.go("Classify")
        toggle = self.page.locator(".st-key-why_show input")
        if toggle.count() and toggle.is_checked() != why:
            self.page.locator(".st-key-why_show label").click()
            self.settle()
        box = self.page.locator(".st-key-classify_text textarea")
        try:
            box.wait_for()
        except Exception:
            self.page.screenshot(path=str(ROOT / "bench" / "laptop-failed.png"), full_page=True)
            raise

        def typed(text: str) -> None:
            box.fill(text)
            box.press("Control+Enter")
            self.page.wait_for_timeout(200)
            self.settle(100)
            self.page.get_by_text("Verdict:").first.wait_for()

        typed("warm-up: the classifier loads once per server")
        before = self.cpu()
        for i in range(messages):
            typed(f"{TYPED[i % len(TYPED)]} ({why}, {i})")  # each one new: no cached answer
        return (self.cpu() - before) / messages


def app_figures(tmp: Path, messages: int, skip_training: bool, pairs: int = 2, arms: bool = True) -> dict:
    """Idle shares, then ``pairs`` trainings from the Train page alternated with trainings in a terminal (terminal,
    app, terminal, app, terminal: each app run is compared with the mean of the terminal runs on either side, since
    the same command in a terminal alone varied 110-143 s between runs on one host), verdict costs, and the arms."""
    out: dict = {}
    terminal = [] if skip_training else [train_terminal(tmp / "terminal-1")]
    with App(tmp / "shipped") as app:
        for title in PAGES:
            app.go(title)
        app.page.wait_for_timeout(3000)
        out["idle_all_pages"] = app.idle_share()
        app.go("Train")
        out["idle_train_open"] = app.idle_share()
        if not skip_training:
            in_app = []
            for i in range(pairs):
                in_app.append(dict(zip(("seconds", "server_share"), app.train_from_page(), strict=True)))
                terminal.append(train_terminal(tmp / f"terminal-{i + 2}"))
            out["in_app_runs"] = in_app
            out["ratios"] = [run["seconds"] / ((terminal[i] + terminal[i + 1]) / 2) for i, run in enumerate(in_app)]
            out["ratio_median"] = statistics.median(out["ratios"])
            out["verdict_cpu_s"] = app.verdict_cpu(messages, why=False)
            out["why_cpu_s"] = app.verdict_cpu(max(3, messages // 4), why=True)
            app.go("Classify")
            out["idle_classify_open"] = app.idle_share()
    if skip_training:
        return out
    out["terminal_s"] = terminal
    other_settings = (("nice 0", {"SPAMCORE_TRAINER_NICE": "0"}), ("1 thread", {"OMP_NUM_THREADS": "1"}))
    for name, env in other_settings if arms else ():
        with App(tmp / name.replace(" ", "-"), env) as app:
            out[f"in_app, {name}"] = dict(zip(("seconds", "server_share"), app.train_from_page(), strict=True))
    return out


# -------------------------------------------------------------------------------------------------------- table
def table(peaks: dict, bulk_figures: dict | None, app: dict) -> str:
    import platform

    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    head = (f"Measured {date.today().isoformat()} by `python bench/laptop.py` on {cpu}, {os.cpu_count()} cores, "
            f"torch {torch.__version__}; in this run matmul fp32 {peaks['fp32_gflops']:,.0f} GFLOP/s, bf16 "
            f"{peaks['bf16_gflops']:,.0f} GFLOP/s ({peaks['bf16_over_fp32']:.2f}×): `precision=auto` picks "
            f"**{peaks['auto_picks']}** here.")
    rows = ["| what | measured | reference (same run) | ratio | target |", "|---|---|---|---|---|"]
    if "terminal_s" in app:
        ref = sum(app["terminal_s"]) / len(app["terminal_s"])
        runs = app["in_app_runs"]
        in_app = " / ".join(f"{r['seconds']:.0f}" for r in runs)
        rows.append(f"| default `finetune` from the Train page, page open (nice 10, default threads), alternated "
                    f"with a terminal | {in_app} s (server "
                    f"{max(r['server_share'] for r in runs):.1%} of a core at most) | "
                    f"{' / '.join(f'{s:.0f}' for s in app['terminal_s'])} s in a terminal, before, between and after | "
                    f"median {app['ratio_median']:.2f}× ({' / '.join(f'{x:.2f}' for x in app['ratios'])}) | "
                    f"≤ 1.15× |")
        for name in [n for n in ("nice 0", "1 thread") if f"in_app, {n}" in app]:
            arm = app[f"in_app, {name}"]
            rows.append(f"| … the same with the trainer at {name} (not shipped) | {arm['seconds']:.0f} s | "
                        f"{ref:.0f} s | {arm['seconds'] / ref:.2f}× | |")
    rows.append(f"| server CPU, idle, every page opened then one left open | {app['idle_all_pages']:.2%} of a core | "
                f"| | < 2 % |")
    rows.append(f"| server CPU, idle, Train page open (live panel, no job) | {app['idle_train_open']:.2%} of a core | "
                f"| | < 2 % |")
    if "verdict_cpu_s" in app:
        rows.append(f"| server CPU per typed message on Classify (verdict; page included) | "
                    f"{app['verdict_cpu_s']:.3f} s | | | ≤ 0.15 s |")
        rows.append(f"| … with “why” turned on (occlusion, asked for) | {app['why_cpu_s']:.3f} s | "
                    f"{app['verdict_cpu_s']:.3f} s verdict only | {app['why_cpu_s'] / app['verdict_cpu_s']:.1f}× | |")
        rows.append(f"| server CPU, idle, Classify open after the lesson | {app['idle_classify_open']:.2%} of a core | "
                    f"| | < 2 % |")
    if bulk_figures:
        cli, naive = bulk_figures["cli"], bulk_figures["naive_msgs_per_s"]
        rows.append(f"| `spamcore predict` on 5,574 messages (load {cli['load_s']:.1f} s apart; "
                    f"{'bf16' if bulk_figures['auto_bf16'] else 'fp32'}) | {cli['msgs_per_s']:,.0f} msg/s | "
                    f"{naive:,.0f} msg/s naive fp32 loop | {cli['vs_naive']:.1f}× (max Δp {cli['max_prob_diff']:.4f}, "
                    f"{cli['verdict_flips']} verdicts differ) | ≥ 1,000 msg/s or ≥ 3× |")
        for name, row in bulk_figures["rows"].items():
            rows.append(f"| bulk arm: {name} | {row['msgs_per_s']:,.0f} msg/s | {naive:,.0f} msg/s | "
                        f"{row['vs_naive']:.1f}× (max Δp {row['max_prob_diff']:.4f}, {row['verdict_flips']} "
                        f"verdicts differ) | |")
    return head + "\n\n" + "\n".join(rows)


def main() -> None:
    from docs_tables import update_docs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a trained run for the bulk arms (default: one trained by this bench)")
    parser.add_argument("--messages", type=int, default=20, help="messages typed on Classify")
    parser.add_argument("--skip-training", action="store_true", help="idle figures only (no training, no verdicts)")
    parser.add_argument("--pairs", type=int, default=2, help="trainings from the app, each between two in a terminal")
    parser.add_argument("--no-arms", dest="arms", action="store_false",
                        help="skip the trainer settings not shipped (nice 0; 1 thread)")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (make browser)")
    peaks = precision_peaks()
    print(json.dumps(peaks), flush=True)
    with tempfile.TemporaryDirectory(prefix="spamcore-laptop-") as folder:
        tmp = Path(folder)
        app = app_figures(tmp, args.messages, args.skip_training, args.pairs, args.arms)
        print(json.dumps(app), flush=True)
        run = Path(args.run) if args.run else (tmp / "terminal-1" if not args.skip_training else None)
        bulk_figures = bulk(run) if run else None
    results = {"precision": peaks, "app": app, "bulk": bulk_figures}
    (ROOT / "bench" / "last_laptop.json").write_text(json.dumps(results, indent=2))
    text = table(peaks, bulk_figures, app)
    print(text)
    if args.update_docs:
        update_docs(text, "laptop")


if __name__ == "__main__":
    main()
