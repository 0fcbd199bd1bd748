"""The product as a teacher gets it: the wheel built from this checkout, installed with ``[app]`` into a fresh
virtual environment outside the checkout, ``spamcore app`` started from another folder on a free port, every page
opened in Chromium with no exception, and a tiny frozen run trained with that environment's ``spamcore``.

Nothing of the checkout is importable there: the test checks where ``spamcore`` is imported from, and that no
generic top-level module (``ui``, ``app``, ``app_pages``) was installed beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import HEADINGS, go, no_exception, settle

from devtools.browser import CHROMIUM, free_port, open_page, running_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[1]
TEACHER_PAGES = ("Home", "Data", "Train", "Evaluate", "Classify", "Runs", "How BERT learns", "Class board",
                 "Challenge")
HEADINGS = {**HEADINGS, "Challenge": "Fool the spam filter"}


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment a teacher's terminal has: nothing that points Python at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the freshly built wheel and its app extra; its bin folder."""
    work = tmp_path_factory.mktemp("installed")
    dist = work / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheel = next(dist.glob("spamcore-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    started = time.monotonic()
    install = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[app]"],
                             capture_output=True, text=True, timeout=1200, env=_clean_env())
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    print(f"\ninstalled {wheel.name}[app] into a fresh venv in {time.monotonic() - started:.0f} s")
    return bindir


def test_the_installed_package_is_the_one_imported_and_installs_no_generic_module(installed, tmp_path):
    probe = ("import importlib.util, spamcore; print(spamcore.__file__); "
             "print([m for m in ('ui', 'app', 'app_pages', 'views') if importlib.util.find_spec(m)])")
    out = subprocess.run([str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         env=_clean_env(), check=True)
    where, generic = out.stdout.splitlines()
    assert Path(where).resolve().is_relative_to(installed.parent.resolve())
    assert not Path(where).resolve().is_relative_to(ROOT)
    assert generic == "[]"
    version = subprocess.run([str(installed / "spamcore"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("spamcore ")


def test_a_tiny_frozen_run_trains_with_the_installed_spamcore(installed, tiny_model_dir, small_frame, tmp_path_factory):
    home = tmp_path_factory.mktemp("teacher")
    data = home / "messages.tsv"
    small_frame.assign(label=small_frame["label"].map({0: "ham", 1: "spam"}))[["label", "text"]].to_csv(
        data, sep="\t", index=False)
    train = subprocess.run(
        [str(installed / "spamcore"), "train", "--recipe", "frozen", "--model", str(tiny_model_dir), "--data",
         str(data), "--epochs", "2", "--batch-size", "4", "--precision", "fp32", "--device", "cpu", "--out",
         str(home / "runs" / "tiny-frozen")],
        cwd=home, capture_output=True, text=True, timeout=600, env=_clean_env(SPAMCORE_CACHE=str(home / "cache")))
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert (home / "runs" / "tiny-frozen" / "run.json").is_file()


def test_spamcore_app_from_another_folder_serves_every_page(installed, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    home = next(p for p in tmp_path_factory.getbasetemp().glob("teacher*") if (p / "runs").is_dir())
    port = free_port()
    log_path = home / "spamcore-app.log"
    command = [str(installed / "spamcore"), "app", "--port", str(port), "--host", "127.0.0.1", "--runs", "runs"]
    env = _clean_env(SPAMCORE_DATA=str(home / "messages.tsv"), SPAMCORE_CACHE=str(home / "cache"))
    url = f"http://127.0.0.1:{port}"
    with running_server(command, url, cwd=home, env=env, log_path=log_path), sync_playwright() as playwright:
        browser, page = open_page(playwright, url, height=1400)
        for title in TEACHER_PAGES:
            go(page, title) if title != "Challenge" else _go_challenge(page)
            settle(page)
            no_exception(page)
        browser.close()
    log = log_path.read_text()
    assert f"open http://localhost:{port}" in log and "teacher code:" in log
    assert "Traceback" not in log, log[-3000:]


def _go_challenge(page) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Challenge").click()
    page.wait_for_selector(f"h1:has-text('{HEADINGS['Challenge']}')")


CRUISE = "You have won a free cruise, reply YES"


def _with_ready_model(env: dict[str, str]) -> dict[str, str]:
    """The install as a user has it: the ready model shown (the test suite hides it elsewhere)."""
    return {k: v for k, v in env.items() if k != "SPAMCORE_READY_MODEL"}


def test_the_installed_wheel_answers_with_its_ready_model_and_no_run_anywhere(installed, tmp_path):
    """Issue 32's "done when": a fresh install, another folder, no run folder, no data — a verdict, and its model."""
    env = _with_ready_model(_clean_env(SPAMCORE_CACHE=str(tmp_path / "cache"), SPAMCORE_RUNS=str(tmp_path / "runs")))
    started = time.monotonic()
    out = subprocess.run([str(installed / "spamcore"), "predict", CRUISE], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env=env)
    seconds = time.monotonic() - started
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split("\t")[0] == "spam", out.stdout
    assert "spamcore ready model" in out.stderr
    assert not (tmp_path / "runs").exists()
    print(f"\none-shot spamcore predict with the installed wheel: {seconds:.1f} s wall")


def test_classify_on_a_fresh_spamcore_app_answers_with_the_ready_model(installed, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    log_path = tmp_path / "spamcore-app.log"
    command = [str(installed / "spamcore"), "app", "--port", str(port), "--host", "127.0.0.1", "--runs", "runs"]
    env = _with_ready_model(_clean_env(SPAMCORE_CACHE=str(tmp_path / "cache")))
    url = f"http://127.0.0.1:{port}"
    with running_server(command, url, cwd=tmp_path, env=env, log_path=log_path), sync_playwright() as playwright:
        browser, page = open_page(playwright, url, height=1400)
        go(page, "Classify")
        settle(page)
        no_exception(page)
        page.get_by_text("The ready model shipped with spamcore").first.wait_for()
        box = page.get_by_role("textbox", name="Message", exact=True)
        box.fill(CRUISE)
        box.press("Control+Enter")
        settle(page, 1500)
        no_exception(page)
        page.get_by_text("SPAM", exact=True).first.wait_for(timeout=60_000)
        assert page.get_by_role("textbox", name="Message", exact=True).is_visible()  # still there after the click
        page.screenshot(path=str(tmp_path / "classify-ready.png"), full_page=True)
        browser.close()
    assert "Traceback" not in log_path.read_text()
