"""spamcore.cli: train / evaluate / predict in-process and as ``python -m spamcore``; exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import messages_frame

from spamcore.cli import main
from spamcore.runs import experiment
from spamcore.runs.layout import NOTHING_TRAINED
from spamcore.runs.store import read_run


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli-data") / "messages.csv"
    frame = messages_frame(4).assign(label=lambda f: f["label"].map({0: "ham", 1: "spam"}))
    frame[["label", "text"]].to_csv(path, index=False)
    return path


def _train_args(data: Path, out: Path, model: Path, *extra: str) -> list[str]:
    return ["train", "--data", str(data), "--model", str(model), "--out", str(out), "--epochs", "2",
            "--device", "cpu", "--pooling", "mean", "--lr", "0.005", *extra]


@pytest.fixture(scope="module")
def run_dir(tiny_model_dir, data_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli-runs") / "tiny"
    assert main(_train_args(data_csv, out, tiny_model_dir)) == 0
    return out


def _error_line(stderr: str) -> str:
    """The error a user sees: exactly one 'error: ...' line, the last one, and no traceback."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert stderr.strip().splitlines()[-1] == errors[0]
    return errors[0]


# ------------------------------------------------------------------------------------------ train


def test_train_writes_a_run_and_prints_the_report(tiny_model_dir, data_csv, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train_args(data_csv, out, tiny_model_dir, "--batch-size", "8", "--seed", "5")) == 0
    captured = capsys.readouterr()
    assert "epoch   1: train loss" in captured.out and "epoch   2: train loss" in captured.out
    assert "test set (12 messages):" in captured.out
    assert "precision" in captured.out and "confusion matrix" in captured.out
    assert f"run saved to {out}" in captured.out
    assert "80 messages from" in captured.err
    info = read_run(out)
    assert info.status == "finished" and info.has_weights
    config = info.config
    assert (config.recipe, config.epochs, config.batch_size, config.seed, config.lr) == ("frozen", 2, 8, 5, 0.005)
    assert info.metrics["n"] == 12


def test_train_finetune_recipe(tiny_model_dir, data_csv, tmp_path, capsys):
    out = tmp_path / "ft"
    args = _train_args(data_csv, out, tiny_model_dir, "--recipe", "finetune", "--max-length", "16", "--epochs", "1")
    assert main(args) == 0
    assert read_run(out).config.recipe == "finetune" and read_run(out).config.max_length == 16
    assert (out / "model.safetensors").is_file()


def test_ctrl_c_before_the_first_step_is_an_interruption_not_a_crash(tiny_model_dir, data_csv, tmp_path,
                                                                      monkeypatch, capsys):
    real = experiment.run_experiment
    handler_before = signal.getsignal(signal.SIGINT)

    def press_ctrl_c_then_run(*args, **kwargs):
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # the CLI's handler only sets the stop flag
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_experiment", press_ctrl_c_then_run)
    assert main(_train_args(data_csv, tmp_path / "run", tiny_model_dir)) == 130
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == NOTHING_TRAINED  # what it left behind, not "error"
    assert signal.getsignal(signal.SIGINT) is handler_before  # the CLI put the previous handler back


# ------------------------------------------------------------------------------------------ evaluate


def test_evaluate_json(run_dir, data_csv, capsys):
    assert main(["evaluate", str(run_dir), "--data", str(data_csv), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 80
    assert sum(map(sum, report["confusion_matrix"])) == 80
    assert report["classes"]["ham"]["support"] == 48 and report["classes"]["spam"]["support"] == 32
    assert 0.0 <= report["accuracy"] <= 1.0 and report["threshold"] == 0.5


def test_evaluate_text_and_threshold(run_dir, data_csv, capsys):
    assert main(["evaluate", str(run_dir), "--data", str(data_csv), "--threshold", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"80 messages from {data_csv}")
    assert "[[0 48] [0 32]]" in out  # threshold 0: everything is spam


def test_evaluate_uses_the_runs_chosen_threshold(run_dir, data_csv, tmp_path, capsys):
    import shutil

    from spamcore.runs.store import set_threshold

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    set_threshold(copy, 0.0)
    assert main(["evaluate", str(copy), "--data", str(data_csv), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["threshold"] == 0.0 and report["confusion_matrix"] == [[0, 48], [0, 32]]


def test_evaluate_bad_threshold(run_dir, data_csv, capsys):
    assert main(["evaluate", str(run_dir), "--data", str(data_csv), "--threshold", "1.5"]) == 2
    assert "--threshold" in _error_line(capsys.readouterr().err)


# ------------------------------------------------------------------------------------------ predict


def _predict_lines(out: str) -> list[list[str]]:
    return [line.split("\t") for line in out.strip().splitlines()]


def test_predict_texts(run_dir, capsys):
    assert main(["predict", str(run_dir), "WINNER! Claim your prize", "see you\nat home"]) == 0
    lines = _predict_lines(capsys.readouterr().out)
    assert [line[2] for line in lines] == ["WINNER! Claim your prize", "see you at home"]
    assert all(line[0] in ("ham", "spam") and 0.0 <= float(line[1]) <= 1.0 for line in lines)


def test_predict_json(run_dir, capsys):
    assert main(["predict", str(run_dir), "--json", "Free entry now", "ok"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in rows] == ["Free entry now", "ok"]
    assert all(set(r) == {"text", "label", "spam_probability", "truncated", "unsure", "verdict", "model", "engine"}
               for r in rows)
    assert all((r["label"] == "spam") == (r["spam_probability"] >= 0.5) for r in rows)


def test_predict_options_may_come_anywhere_but_unknown_ones_are_refused(run_dir, capsys):
    assert main(["predict", str(run_dir), "Free entry now", "--json", "ok"]) == 0
    assert [r["text"] for r in json.loads(capsys.readouterr().out)] == ["Free entry now", "ok"]
    with pytest.raises(SystemExit) as info:
        main(["predict", str(run_dir), "ok", "--jsn"])
    assert info.value.code == 2 and "unrecognized arguments: --jsn" in capsys.readouterr().err


def test_predict_reads_stdin(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Free entry now\n\nsee you at home\r\n"))
    assert main(["predict", str(run_dir)]) == 0
    assert [line[2] for line in _predict_lines(capsys.readouterr().out)] == ["Free entry now", "see you at home"]


def test_predict_empty_stdin(run_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n  \n"))
    assert main(["predict", str(run_dir)]) == 2
    assert "stdin held no messages" in _error_line(capsys.readouterr().err)


def test_predict_matches_the_library(run_dir, capsys):
    from spamcore.model.onnx import load_for_verdicts
    from spamcore.model.saved import load_classifier

    texts = ["Claim your free prize now", "Running late, start without me"]
    assert main(["predict", str(run_dir), "--json", *texts]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["engine"] for r in rows} == {"onnx"}
    expected = load_for_verdicts(run_dir).predict_proba(texts)
    assert [r["spam_probability"] for r in rows] == pytest.approx(expected.tolist(), abs=1e-6)
    torch_fp32 = load_classifier(run_dir, device="cpu")
    torch_fp32.bf16 = False  # the graph's arithmetic
    assert [r["spam_probability"] for r in rows] == pytest.approx(torch_fp32.predict_proba(texts).tolist(), abs=1e-3)


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["train", "--data", "{missing}", "--out", "{out}"], "file not found"),
        (["train", "--data", "{data}", "--out", "{out}", "--epochs", "0"], "epochs must be between 1 and 1000; got 0"),
        (["train", "--data", "{data}", "--out", "{out}", "--lr", "-1"], "lr must be in"),
        (["train", "--data", "{data}", "--out", "{out}", "--model", "{missing}"], "does not exist"),
        (["train", "--data", "{bad}", "--out", "{out}"], "unknown label 'maybe'"),
        (["train", "--data", "{data}", "--out", "{full}"], "already exists and is not empty"),
        (["evaluate", "{missing}", "--data", "{data}"], "does not exist"),
        (["evaluate", "{run}", "--data", "{missing}"], "file not found"),
        (["predict", "{missing}", "hello"], "does not exist"),
        (["predict", "{run}", "  "], "message 1 is empty"),
        (["predict", "hello"], "this install has no ready model"),  # (the tests hide the shipped one)
        (["predict", "--run", "{missing}", "hello"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(run_dir, data_csv, tmp_path, capsys, args, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,text\nham,hello\nmaybe,what\n")
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("taken")
    values = dict(missing=tmp_path / "missing", out=tmp_path / "out", data=data_csv, bad=bad, full=full, run=run_dir)
    assert main([a.format(**values) for a in args]) == 2
    assert expected in _error_line(capsys.readouterr().err)


def _spamcore(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spamcore", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_subprocess_predict_from_stdin(run_dir):
    done = _spamcore("predict", str(run_dir), stdin="WIN a free phone now\nsee you later\n")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 2 and "Traceback" not in done.stderr


def test_subprocess_user_error_exit_code(data_csv, tmp_path):
    done = _spamcore("train", "--data", str(data_csv), "--out", str(tmp_path / "out"), "--epochs", "0")
    assert done.returncode == 2
    assert _error_line(done.stderr) == "error: epochs must be between 1 and 1000; got 0"
    assert done.stdout == ""


def test_subprocess_usage_error(tmp_path):
    done = _spamcore("train", "--recipe", "magic", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "invalid choice: 'magic'" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------------ robustness


def test_evaluate_suite_prints_categories_groups_and_misses(run_dir, capsys):
    assert main(["evaluate", str(run_dir), "--suite"]) == 0
    out = capsys.readouterr().out
    assert "robustness suite: 278 hand-written messages" in out
    assert "| spam_typed_short | spam | 30 |" in out and "**typed**" in out and "**modern**" in out
    assert "evasion suite" in out
    for trick in ("| spacing | 159 |", "| dense swaps | 159 |", "| friendly wrapper | 159 |", "| paraphrase | 24 |"):
        assert trick in out


def test_evaluate_suite_json(run_dir, capsys):
    assert main(["evaluate", str(run_dir), "--suite", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [g["group"] for g in report["groups"]] == ["typed", "modern"]
    assert len(report["messages"]) == 278
    assert [t["trick"] for t in report["evasion"]["tricks"]] == ["as written", "spacing", "swaps", "dense swaps",
                                                                 "homoglyphs", "leet", "zero-width",
                                                                 "friendly wrapper", "paraphrase"]


def test_predict_says_unsure_inside_the_runs_band_and_counts_them(run_dir, tmp_path, capsys):
    import shutil

    from spamcore.runs.layout import RUN_FILE

    run = Path(shutil.copytree(run_dir, tmp_path / "unsure"))
    meta = json.loads((run / RUN_FILE).read_text())
    meta["calibration"] = {**meta["calibration"], "unsure_half_width": 0.5}  # everything is "not sure"
    (run / RUN_FILE).write_text(json.dumps(meta))
    assert main(["predict", str(run), "WINNER! Claim your prize", "see you at home"]) == 0
    captured = capsys.readouterr()
    assert [line[0] for line in _predict_lines(captured.out)] == ["unsure", "unsure"]
    assert "2 of 2 messages are 'unsure'" in captured.err
    assert main(["predict", str(run), "--json", "ok"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "unsure" and row["unsure"] is True and row["label"] in ("ham", "spam")


def test_predict_timing_prints_load_and_rate_apart(run_dir, capsys):
    assert main(["predict", str(run_dir), "--timing", "one", "two"]) == 0
    err = capsys.readouterr().err
    assert "model loaded in" in err and "2 messages classified in" in err and "messages/s" in err


def test_train_robustness_flags_reach_the_saved_config(tiny_model_dir, data_csv, tmp_path):
    out = tmp_path / "robust"
    assert main(_train_args(data_csv, out, tiny_model_dir, "--recipe", "finetune", "--epochs", "1",
                            "--augment", "digits,crop", "--extra-data", "none", "--dedupe", "--normalise", "none",
                            "--unsure-width", "0", "--no-originals-last")) == 0
    info = read_run(out)
    config = info.config
    assert (config.augment, config.extra_data, config.dedupe) == ("crop,digits", "", True)
    assert not config.originals_last
    assert (config.normalise, config.unsure_width, info.unsure_half_width) == ("none", 0.0, 0.0)
    assert "temperature" in info.meta["calibration"]


def test_perturb_share_reaches_the_config_and_copies_is_the_recipe_before_issue_31(tmp_path, capsys):
    from spamcore.cli import _train_config, build_parser

    def config(*flags):
        return _train_config(build_parser().parse_args(["train", "--data", "x", "--out", "y", "--recipe", "finetune",
                                                         *flags]))

    assert config().perturb_share == 0.6
    assert config("--perturb-share", "0.3").perturb_share == 0.3
    assert config("--perturb-share", "copies").perturb_share is None
    assert main(["train", "--data", "x", "--out", str(tmp_path / "z"), "--perturb-share", "lots"]) == 2
    assert "--perturb-share must be" in _error_line(capsys.readouterr().err)


def test_train_refuses_an_unknown_augmentation_in_one_line(tiny_model_dir, data_csv, tmp_path, capsys):
    assert main(_train_args(data_csv, tmp_path / "x", tiny_model_dir, "--augment", "shout")) == 2
    assert "unknown augmentation(s) 'shout'" in _error_line(capsys.readouterr().err)
    assert not (tmp_path / "x").exists()


def test_train_log_to_a_file_has_one_line_per_epoch_and_no_progress_bar(tiny_model_dir, data_csv, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "spamcore", *_train_args(data_csv, tmp_path / "logged", tiny_model_dir)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "\r" not in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.startswith("epoch ")]) == 2
