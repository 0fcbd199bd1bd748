"""Hostile input to the core and the CLI: bad files, odd text, bad settings, broken runs.

Every case must end in one clear message — a :class:`SpamcoreError` naming what is wrong, or on the command line
one ``error: ...`` line and exit status 2 — never a traceback, and never a half-written run folder.
Everything runs on the tiny random BERT and hand-written messages.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import pickle
import shutil
import time
from pathlib import Path

import pytest
from conftest import messages_frame

from spamcore.cli import main
from spamcore.data import messages as data_module
from spamcore.data.message_io import predictions_frame, read_texts, to_csv_bytes
from spamcore.data.messages import read_messages
from spamcore.errors import ConfigError, DataError, ModelLoadError, RunError, SpamcoreError
from spamcore.model import loading as model_module
from spamcore.model.config import TrainConfig, recipe_defaults
from spamcore.model.saved import load_classifier
from spamcore.runs.experiment import run_experiment
from spamcore.runs.layout import HEAD_FILE, MODEL_FILE, RUN_FILE, run_path
from spamcore.runs.store import list_runs
from spamcore.teaching.token_view import explain_tokens

# ------------------------------------------------------------------------------------------------ helpers

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = "=cmd|' /C calc'!A0"


def tiny(model_dir, recipe: str = "finetune", **overrides) -> TrainConfig:
    values = dict(model=str(model_dir), epochs=1, batch_size=8, max_length=16, precision="fp32", device="cpu")
    return recipe_defaults(recipe, **{**values, **overrides})


def labelled_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["label", "text"])
    writer.writerows(rows)
    return buffer.getvalue().encode()


def good_rows(extra=()) -> list[tuple[str, str]]:
    frame = messages_frame(4)
    return [(("ham", "spam")[y], t) for t, y in zip(frame.text, frame.label, strict=True)] + list(extra)


def error_line(stderr: str) -> str:
    """Exactly one ``error: ...`` line, the last one, and no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert stderr.strip().splitlines()[-1] == errors[0]
    return errors[0]


def assert_no_run_left(out: Path) -> None:
    assert not out.exists(), f"a half-written run was left: {sorted(p.name for p in out.iterdir())}"


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory) -> dict[str, Path]:
    """One finished run per recipe of the tiny model on the hand-written messages."""
    root = tmp_path_factory.mktemp("hostile-runs")
    return {recipe: run_experiment(tiny(tiny_model_dir, recipe), messages_frame(4), root / recipe).path
            for recipe in ("frozen", "finetune")}


@pytest.fixture(scope="module")
def classifier(runs):
    return load_classifier(runs["finetune"])


# ------------------------------------------------------------------------------------------------ files

BAD_FILES = [
    pytest.param(b"", "the file is empty", id="empty"),
    pytest.param(b" \n\n\t\n", "the file is empty", id="whitespace-only"),
    pytest.param(b"label,text\n", "has a header but no rows", id="only-a-header"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image", id="png-image"),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "this is a JPEG image", id="jpeg-image"),
    pytest.param(b"PK\x03\x04\x14\x00\x00\x00", "zip archive (unzip it first)", id="zip"),
    pytest.param(b"%PDF-1.7\n", "PDF document", id="pdf"),
    pytest.param(b"\x1f\x8b\x08\x00", "gzip archive", id="gzip"),
    pytest.param(b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary data (NUL bytes)", id="executable"),
    pytest.param("label,text\nham,hi\nspam,win\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark",
                 id="utf16-without-bom"),
    pytest.param(b"label|text\nham|hi there\nspam|win now\n", "missing a 'label' column and a 'text' column",
                 id="wrong-delimiter"),
    pytest.param(b"<html><body>" + SCRIPT.encode() + b"</body></html>", "missing a 'label' column",
                 id="html-page"),
    pytest.param(b"label\nham\nspam\n", "missing a 'text' column", id="no-text-column"),
    pytest.param(labelled_csv(good_rows([("maybe", "what is this")])), "line 82, column 'label': unknown label 'maybe'",
                 id="unknown-label"),
    pytest.param(labelled_csv([("ham", t) for t in ("hi", "hello", "hey")]), "every message is labelled 'ham'",
                 id="single-class"),
    pytest.param(labelled_csv(good_rows([("spam", "")])), "line 82, column 'text': the message text is empty",
                 id="missing-text-cell"),
    pytest.param(b"ham\tok\nspam\t   \n", "line 2: the message text is empty", id="missing-text-uci"),
    pytest.param(b"ham\tok\nspam no tab here\n", "line 2: expected 'label<TAB>text', found no tab", id="uci-no-tab"),
    pytest.param(b"label,text\nham,hi, there\nspam,win\n", "more fields than the header", id="unquoted-delimiter"),
    pytest.param(b'label,text\nham,"never closed\nspam,win\n', "cannot be read as CSV/TSV", id="open-quote"),
]


@pytest.mark.parametrize("raw, message", BAD_FILES)
def test_bad_file_is_refused_with_a_clear_message(raw, message):
    with pytest.raises(DataError, match=r"upload\.csv") as caught:
        read_messages(raw, "upload.csv")
    assert message in str(caught.value)


@pytest.mark.parametrize("raw, message", BAD_FILES)
def test_cli_train_on_a_bad_file_exits_2_and_leaves_no_run(raw, message, tiny_model_dir, tmp_path, capsys):
    path = tmp_path / "upload.csv"
    path.write_bytes(raw)
    out = tmp_path / "run"
    code = main(["train", "--data", str(path), "--model", str(tiny_model_dir), "--out", str(out), "--epochs", "1"])
    assert code == 2
    line = error_line(capsys.readouterr().err)
    assert message in line and str(path) in line
    assert_no_run_left(out)


@pytest.mark.parametrize("raw, message", [p for p in BAD_FILES if p.id in (
    "empty", "whitespace-only", "png-image", "jpeg-image", "zip", "pdf", "gzip", "executable", "utf16-without-bom",
    "open-quote")])  # (a text file without a text column is read as one message per line, by design)
def test_bulk_upload_of_a_bad_file_is_refused(raw, message):
    with pytest.raises(DataError, match=r"upload\.csv"):
        read_texts(raw, "upload.csv")


GOOD_ENCODINGS = [
    pytest.param(lambda s: s.encode("utf-8"), id="utf-8"),
    pytest.param(lambda s: s.encode("utf-8-sig"), id="utf-8-bom"),
    pytest.param(lambda s: s.encode("utf-16"), id="utf-16-bom"),
    pytest.param(lambda s: s.encode("latin-1"), id="latin-1"),
    pytest.param(lambda s: s.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
    pytest.param(lambda s: s.replace(",", ";").encode("utf-8"), id="semicolons"),
    pytest.param(lambda s: s.replace(",", "\t").encode("utf-8"), id="tsv-with-header"),
]


@pytest.mark.parametrize("encode", GOOD_ENCODINGS)
def test_encodings_and_delimiters_read_the_same_messages(encode):
    rows = "label,text\nham,Café at noon? £5 each\nspam,WIN £900 now\n"
    frame = read_messages(encode(rows), "x.csv")
    assert frame["text"].tolist() == ["Café at noon? £5 each", "WIN £900 now"]
    assert frame["label"].tolist() == [0, 1]


def test_a_formula_cell_is_plain_text_and_escaped_on_export(classifier):
    frame = read_messages(labelled_csv(good_rows([("spam", FORMULA), ("ham", "+44 7700 900123"),
                                                   ("ham", "@home -- back soon")])), "f.csv")
    assert frame["text"].tolist()[-3:] == [FORMULA, "+44 7700 900123", "@home -- back soon"]
    exported = to_csv_bytes(predictions_frame(classifier.predict(frame["text"].tolist()[-3:])))
    cells = [row[0] for row in csv.reader(io.StringIO(exported.decode("utf-8-sig")))][1:]
    assert cells == ["'" + FORMULA, "'+44 7700 900123", "'@home -- back soon"]


def test_a_file_above_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_bytes(labelled_csv(good_rows()))
    with pytest.raises(DataError, match=r"larger than the .* MB limit; use a smaller sample"):
        read_messages(path)
    with pytest.raises(DataError, match=r"larger than the .* MB limit"):
        read_messages(path.read_bytes(), "big.csv")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "uci"])
def test_a_million_rows_50_mb_read_in_seconds(fmt, tmp_path):
    rows = "".join(f"{'spam' if i % 7 == 0 else 'ham'}{',' if fmt == 'csv' else chr(9)}message {i} of a big "
                   f"classroom file of about fifty bytes\n" for i in range(1_000_000))
    path = tmp_path / f"big.{fmt}"
    path.write_text(("label,text\n" if fmt == "csv" else "") + rows)
    assert path.stat().st_size > 50e6
    started = time.perf_counter()
    frame = read_messages(path)
    seconds = time.perf_counter() - started
    assert len(frame) == 1_000_000 and frame["label"].sum() == 142_858
    assert seconds < 30, f"reading 1 million rows took {seconds:.1f} s"
    print(f"\n{fmt}: 1,000,000 rows, {path.stat().st_size / 1e6:.0f} MB read in {seconds:.1f} s")


# ------------------------------------------------------------------------------------------------ text

ODD_TEXTS = [
    pytest.param("🎉🎉 You WON 🏆 a free 📱!! txt WIN now", id="emoji"),
    pytest.param("مرحبا، هل أنت قادم الليلة؟ שלום", id="rtl"),
    pytest.param("fr\u200bee pr\u200cize\u200d now\ufeff", id="zero-width"),
    pytest.param("win\x00now\x07\x1b[31mred\x1b[0m\x7f", id="control-characters"),
    pytest.param("\u202eevil right-to-left override\u202c", id="bidi-override"),
    pytest.param(SCRIPT, id="script-tag"),
    pytest.param(IMG, id="img-onerror"),
    pytest.param("**bold** [link](javascript:alert(1)) $x^2$ :red[hi]", id="markdown-and-latex"),
    pytest.param(FORMULA, id="formula"),
    pytest.param("x" * 100_000, id="100k-characters"),
    pytest.param("free prize " * 10_000, id="100k-characters-of-words"),
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_text_is_classified_and_kept_verbatim(classifier, text):
    [prediction] = classifier.predict([text])
    assert prediction.text == text  # never altered, escaped or rendered
    assert prediction.label in ("ham", "spam") and math.isfinite(prediction.spam_probability)
    assert 0.0 <= prediction.spam_probability <= 1.0
    if len(text) >= 100_000:
        assert prediction.truncated


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_text_in_the_token_view(classifier, text):
    view = explain_tokens(classifier.tokenizer, text, 16, pad=True)
    assert len(view.table) == 16 and view.table["token"].iloc[0] == "[CLS]"


@pytest.mark.parametrize("text", ["", " ", "\n\t  \u3000"])
def test_empty_or_whitespace_text_is_refused(classifier, text):
    with pytest.raises(SpamcoreError, match="message 1 is empty; type or paste some text"):
        classifier.predict([text])


def test_cli_predict_prints_odd_text_literally(runs, capsys):
    texts = [SCRIPT, IMG, "🎉 free", FORMULA]
    assert main(["predict", str(runs["finetune"]), "--json", *texts]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in printed] == texts


def test_cli_predict_refuses_an_empty_message(runs, capsys):
    assert main(["predict", str(runs["finetune"]), "ok", "   "]) == 2
    assert "message 2 is empty" in error_line(capsys.readouterr().err)


def test_html_survives_the_csv_export_as_text(classifier):
    exported = to_csv_bytes(predictions_frame(classifier.predict([SCRIPT, IMG]))).decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert cells == [SCRIPT, IMG]


# ------------------------------------------------------------------------------------------------ settings

BAD_SETTINGS = [
    pytest.param(["--epochs", "0"], "epochs must be between 1 and 1000; got 0", id="epochs-0"),
    pytest.param(["--epochs", "10000"], "epochs must be between 1 and 1000; got 10000", id="epochs-10000"),
    pytest.param(["--batch-size", "0"], "batch_size must be between 1 and 4096; got 0", id="batch-size-0"),
    pytest.param(["--lr", "-0.001"], "lr must be in (0.0, 1.0]; got -0.001", id="negative-lr"),
    pytest.param(["--lr", "nan"], "lr must be a finite number; got nan", id="nan-lr"),
    pytest.param(["--max-length", "1000"], "max_length must be between 2 and 512; got 1000", id="max-length-1000"),
    pytest.param(["--max-length", "200"], "max_length 200 is above this model's limit of 128 tokens",
                 id="max-length-above-the-model"),
    pytest.param(["--max-rows", "5"], "max_rows must be between 20", id="max-rows-5"),
    pytest.param(["--patience", "0"], "patience must be between 1", id="patience-0"),
    pytest.param(["--seed", "-1"], "seed must be between 0", id="negative-seed"),
    pytest.param(["--model", "no-such-org/no-such-model-xyz"], "not in the Hugging Face cache", id="unknown-model-id"),
    pytest.param(["--model", "/no/such/folder"], "model folder '/no/such/folder' does not exist",
                 id="missing-local-path"),
    pytest.param(["--model", "{data}"], "is not a model folder", id="a-file-as-model"),
    pytest.param(["--model", "{empty_dir}"], "is not a model folder", id="an-empty-folder-as-model"),
    pytest.param(["--model", "{no_tokenizer}"], "has no tokenizer files", id="model-without-tokenizer"),
    pytest.param(["--model", ""], "model must be a Hugging Face id or a local directory", id="empty-model"),
]


@pytest.fixture()
def model_dirs(tiny_model_dir, tmp_path) -> dict[str, str]:
    data = tmp_path / "messages.csv"
    data.write_bytes(labelled_csv(good_rows()))
    (tmp_path / "empty").mkdir()
    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_model_dir / name, no_tokenizer / name)
    return {"data": str(data), "empty_dir": str(tmp_path / "empty"), "no_tokenizer": str(no_tokenizer)}


@pytest.mark.parametrize("args, message", BAD_SETTINGS)
@pytest.mark.parametrize("recipe", ["frozen", "finetune"])
def test_cli_refuses_bad_settings_before_writing_a_run(args, message, recipe, tiny_model_dir, model_dirs, tmp_path,
                                                        capsys):
    out = tmp_path / "run"
    base = ["train", "--recipe", recipe, "--data", model_dirs["data"], "--out", str(out), "--device", "cpu",
            "--model", str(tiny_model_dir), "--epochs", "1", "--max-length", "16"]
    code = main(base + [a.format(**model_dirs) for a in args])
    assert code == 2
    assert message in error_line(capsys.readouterr().err)
    assert_no_run_left(out)


@pytest.mark.parametrize("field, value", [("epochs", 0), ("epochs", 10_000), ("batch_size", 0), ("lr", -1e-5),
                                          ("lr", math.inf), ("max_length", 1), ("epochs", 2.5), ("epochs", True),
                                          ("recipe", "magic"), ("device", "tpu")])
def test_config_names_the_bad_value(field, value):
    with pytest.raises(ConfigError, match=field):
        recipe_defaults("frozen").replace(**{field: value})


def test_run_experiment_checks_the_model_before_creating_the_folder(tiny_model_dir, tmp_path):
    for config, error in ((tiny(tiny_model_dir, max_length=200), ConfigError),
                          (tiny(tmp_path / "nothing-here"), ModelLoadError),
                          (tiny(tiny_model_dir, device="cuda"), ConfigError)):
        if config.device == "cuda" and __import__("torch").cuda.is_available():
            continue
        with pytest.raises(error):
            run_experiment(config, messages_frame(4), tmp_path / "run")
        assert_no_run_left(tmp_path / "run")
    assert list_runs(tmp_path) == []


def test_a_failure_before_the_first_checkpoint_removes_the_run(tiny_model_dir, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr("spamcore.runs.experiment.train", explode)
    with pytest.raises(RuntimeError, match="out of memory"):
        run_experiment(tiny(tiny_model_dir), messages_frame(4), tmp_path / "run")
    assert_no_run_left(tmp_path / "run")
    (tmp_path / "given").mkdir()  # a folder the user made is kept, empty
    with pytest.raises(RuntimeError):
        run_experiment(tiny(tiny_model_dir), messages_frame(4), tmp_path / "given")
    assert list((tmp_path / "given").iterdir()) == []


def test_a_failure_after_a_checkpoint_keeps_the_loadable_run(tiny_model_dir, tmp_path, monkeypatch):
    from spamcore.runs import experiment

    real_train = experiment.train

    def fail_after_training(config, split, **kwargs):
        real_train(config, split, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(experiment, "train", fail_after_training)
    with pytest.raises(RuntimeError, match="disk full"):
        run_experiment(tiny(tiny_model_dir, epochs=2), messages_frame(4), tmp_path / "run")
    meta = json.loads((tmp_path / "run" / RUN_FILE).read_text())
    assert meta["status"] == "failed" and meta["error"] == "disk full" and meta["best_epoch"] >= 1
    assert load_classifier(tmp_path / "run").predict(["hi there"])[0].label in ("ham", "spam")


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "On", " on "])
def test_hf_hub_offline_accepts_what_the_hf_libraries_accept(value, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    monkeypatch.setattr(model_module, "_hub_reachable", lambda: pytest.fail("probed the network while offline"))
    assert model_module.hub_offline()
    with pytest.raises(ModelLoadError, match="not in the Hugging Face cache"):
        model_module.load_tokenizer("no-such-org/no-such-model-xyz")


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_hf_hub_offline_off_values(value, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert not model_module.hub_offline()


def test_a_row_limit_above_the_data_trains_on_every_row_and_says_so(tiny_model_dir, model_dirs, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--recipe", "frozen", "--data", model_dirs["data"], "--out", str(out), "--device", "cpu",
                 "--model", str(tiny_model_dir), "--epochs", "1", "--max-rows", "1000000"])
    assert code == 0
    assert "--max-rows 1000000 is not fewer than the 80 messages; training on all of them" in capsys.readouterr().err
    meta = json.loads((out / RUN_FILE).read_text())
    assert meta["data"]["rows"] == meta["data"]["rows_available"] == 80


# ------------------------------------------------------------------------------------------------ runs


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


BROKEN_RUNS = [
    pytest.param("finetune", lambda d: (d / MODEL_FILE).unlink(), "checkpoint file is missing (incomplete run)",
                 id="missing-weights"),
    pytest.param("finetune", lambda d: _truncate(d / MODEL_FILE), "truncated or corrupted", id="truncated-weights"),
    pytest.param("frozen", lambda d: (d / HEAD_FILE).write_bytes(b"\x00" * 64), "truncated or corrupted",
                 id="garbage-weights"),
    pytest.param("frozen", lambda d: (d / RUN_FILE).write_text("{not json"), "not valid JSON", id="broken-run-json"),
    pytest.param("frozen", lambda d: (d / RUN_FILE).write_text('{"config": {"recipe": "frozen", "layers": 99}}'),
                 "unknown training setting(s): layers", id="unknown-setting"),
    pytest.param("frozen", lambda d: (d / RUN_FILE).write_text("[]"), "has no 'config' section", id="run-json-list"),
    pytest.param("frozen", lambda d: (d / RUN_FILE).unlink(), "file missing; the run is incomplete",
                 id="missing-run-json"),
    pytest.param("finetune", lambda d: (d / "config.json").write_text('{"model_type": "bert", "hidden_size": 64, '
                                                                       '"num_attention_heads": 2, "num_labels": 2}'),
                 "from another architecture", id="other-architecture"),
    pytest.param("finetune", lambda d: (d / "tokenizer.json").unlink() or (d / "vocab.txt").unlink(missing_ok=True),
                 "tokenizer files missing", id="missing-tokenizer"),
]


@pytest.mark.parametrize("recipe, damage, message", BROKEN_RUNS)
def test_cli_refuses_a_broken_run(recipe, damage, message, runs, tmp_path, capsys):
    run = shutil.copytree(runs[recipe], tmp_path / "run")
    damage(run)
    with pytest.raises(RunError):
        load_classifier(run)
    assert main(["predict", str(run), "hello"]) == 2
    assert message in error_line(capsys.readouterr().err)
    assert main(["evaluate", str(run), "--data", str(tmp_path / "none.csv")]) == 2


def test_a_pickle_in_a_run_is_never_loaded(runs, tmp_path):
    class Boom:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "executed",))

    run = shutil.copytree(runs["finetune"], tmp_path / "run")
    (run / MODEL_FILE).unlink()
    for name in ("pytorch_model.bin", "model.pt", "model.pkl"):
        (run / name).write_bytes(pickle.dumps(Boom()))
    with pytest.raises(RunError, match="incomplete run"):
        load_classifier(run)
    assert not (tmp_path / "executed").exists()


@pytest.mark.parametrize("name", ["../escape", "..", "/etc/passwd", "a/b", "a\\b", ".hidden", "", "x" * 81,
                                  "name with spaces", "run\x00nul", "~root", "-rf"])
def test_run_names_cannot_escape_the_runs_folder(name, tmp_path):
    with pytest.raises(ConfigError, match="is not allowed"):
        run_path(tmp_path, name)


def test_a_device_or_pipe_is_refused_before_any_read(tmp_path):
    fifo = tmp_path / "messages.fifo"
    os.mkfifo(fifo)  # opening it for reading would block forever: the check must come before any open
    for path in ("/dev/zero", fifo):
        with pytest.raises(DataError, match="not a regular file"):
            read_messages(path)


def test_the_size_limit_is_named_and_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_bytes(labelled_csv(good_rows()))
    monkeypatch.setenv("SPAMCORE_MAX_DATA_MB", "0.0001")
    with pytest.raises(DataError, match=r"MB is larger than the 0 MB limit.*SPAMCORE_MAX_DATA_MB"):
        read_messages(path)
    monkeypatch.setenv("SPAMCORE_MAX_DATA_MB", "1")
    assert len(read_messages(path)) > 0
    monkeypatch.setenv("SPAMCORE_MAX_DATA_MB", "lots")
    with pytest.raises(DataError, match="not a number of megabytes"):
        read_messages(path)


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_cli_train_out_on_a_file_is_one_line_before_any_work(where, tiny_model_dir, tmp_path, capsys):
    occupied = tmp_path / "taken.txt"
    occupied.write_text("not a folder")
    out = occupied if where == "file" else occupied / "run"
    data = tmp_path / "missing.csv"  # never read: the --out check comes first
    assert main(["train", "--data", str(data), "--model", str(tiny_model_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: run folder") and "is a file" in err and "\n" not in err
    assert occupied.read_text() == "not a folder"


def test_cli_train_data_from_dev_zero_is_refused(tiny_model_dir, tmp_path, capsys):
    assert main(["train", "--data", "/dev/zero", "--model", str(tiny_model_dir), "--out", str(tmp_path / "r")]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
