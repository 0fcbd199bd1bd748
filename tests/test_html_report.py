"""spamcore.runs.report and ``spamcore report``: one self-contained HTML file per run, escaped, with
interactive charts that need no network; clear errors for a run without metrics, a missing run, a folder as output."""

# ruff: noqa: F811  (the fixture tiny_run is imported from test_app, then used as an argument)
from __future__ import annotations

import csv
import html
import json
import re
import shutil

import pytest
from test_app import tiny_run  # noqa: F401  (fixture)
from test_bad_input import IMG, SCRIPT

from spamcore.cli import main
from spamcore.data.messages import CITATION
from spamcore.errors import RunError, SpamcoreError
from spamcore.runs.report import _table, build_report, write_report


@pytest.fixture()
def run_dir(tiny_run, tmp_path):
    """The tiny run, with a test message carrying markup that the run got wrong (so it is listed as a mistake)."""
    path = tmp_path / "tiny-report"
    shutil.copytree(tiny_run / "tiny-finetune", path)
    with (path / "test_predictions.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow([f"WIN {SCRIPT} {IMG} now", 1, 0.01, 0.5])
    return path


def test_the_report_holds_every_section_and_the_plotly_script_once(run_dir):
    page = build_report(run_dir)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for heading in ("Data", "Training", "Test set (threshold 0.50)", "Outside the test set: the robustness suite",
                    "Test messages it got wrong", "Settings", "Versions", "Data citation"):
        assert f"<h2>{heading}" in page, heading
    assert "spamcore run tiny-report" in page
    assert "Tricks used against filters" in page and "homoglyphs" in page
    assert html.escape(CITATION) in page
    assert "is not the SMS Spam Collection" in page  # the tiny run's data is hand-written
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert f"{metrics['accuracy']:.1%}" in page
    charts = re.findall(r'<div id="chart-(\d+)"', page)
    assert len(charts) >= 5  # loss, two confusion matrices, PR, ROC (and the suite when scored)
    assert page.count("Plotly.newPlot(") == len(charts)
    # Self-contained: the library is inlined once, nothing is fetched.
    assert page.count("<script") == 1 + len(charts)  # the library, then one call per chart
    assert not re.search(r"<script[^>]+src=", page) and "<link" not in page
    assert "cdn.plot.ly" not in page.split("</head>")[1]


def test_the_citation_names_the_collection_only_for_runs_on_it():
    from spamcore.runs.report import is_sms_collection

    assert is_sms_collection("/data/SMSSpamCollection") and is_sms_collection("SMS Spam Collection (built-in)")
    assert not is_sms_collection("upload: SMSSpamCollection-copy.csv") and not is_sms_collection("hand-written")


def test_every_text_from_the_run_is_escaped(run_dir):
    page = build_report(run_dir)
    body = page.split("</head>", 1)[1]
    assert SCRIPT not in body and IMG not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    table = _table(__import__("pandas").DataFrame({"a": ['"><b>x</b>'], "n": [3], "f": [0.5]}))
    assert "&quot;&gt;&lt;b&gt;x&lt;/b&gt;" in table and '<td class="num">3</td>' in table
    assert '<td class="num">0.500</td>' in table


def test_a_run_without_the_suite_says_how_to_score_it(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics.pop("robustness", None)
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    assert "spamcore evaluate RUN --suite" in build_report(run_dir)


def test_a_run_without_metrics_or_predictions_gets_a_clear_error(run_dir, tmp_path):
    (run_dir / "test_predictions.csv").unlink()
    with pytest.raises(RunError, match=r"test_predictions\.csv"):
        build_report(run_dir)
    (run_dir / "metrics.json").unlink()
    with pytest.raises(RunError, match="no test metrics"):
        build_report(run_dir)
    with pytest.raises(SpamcoreError):
        build_report(tmp_path / "missing")


def test_cli_writes_the_report(run_dir, tmp_path, capsys):
    out = tmp_path / "out" / "report.html"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    assert "report written to" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", str(run_dir)]) == 0 and (run_dir / "report.html").is_file()
    assert main(["report", str(run_dir), "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert write_report(run_dir, tmp_path / "again.html").stat().st_size > 1_000_000  # plotly.js is inside
