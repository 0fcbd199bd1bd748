"""The app as an installed product: its files inside the package, ``spamcore app``'s command line and settings, one
version, and models named for people rather than by path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spamcore import __version__
from spamcore.app import paths, settings
from spamcore.app.server import free_port, streamlit_argv
from spamcore.model.config import model_description

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_and_asset_the_router_names_is_inside_the_package():
    router = (paths.HERE / "router.py").read_text(encoding="utf-8")
    for name in ("home", "data", "train", "evaluate", "classify", "runs", "bert", "board", "challenge"):
        assert f'"{name}"' in router
        assert paths.view(name).is_file()
    for name in ("logo.svg", "app.css", "example-messages.csv"):
        assert paths.asset(name).is_file()
    assert paths.SCRIPT.is_file() and paths.SCRIPT.parent == paths.HERE
    assert not (paths.HERE / "pages").exists()  # a pages/ folder would switch Streamlit to its legacy mode


def test_the_checkout_config_toml_holds_the_settings_spamcore_app_passes():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with (ROOT / ".streamlit" / "config.toml").open("rb") as fh:
        toml = tomllib.load(fh)
    flat = {f"{section}.{name}": value for section, options in toml.items() for name, value in options.items()}
    assert flat == settings.STREAMLIT_OPTIONS


def test_streamlit_flags_spell_booleans_as_streamlit_reads_them():
    assert settings.streamlit_flags({"server.runOnSave": False, "theme.baseFontSize": 17}) == [
        "--server.runOnSave", "false", "--theme.baseFontSize", "17"]


def test_spamcore_app_runs_the_shipped_script_with_the_shipped_settings():
    argv = streamlit_argv(8600, "127.0.0.1")
    assert argv[:3] == ["streamlit", "run", str(paths.SCRIPT)]
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.fileWatcherType") + 1] == "none"
    assert argv[argv.index("--runner.postScriptGC") + 1] == "false"
    assert "--server.address" not in streamlit_argv(8600, None)  # every address: phones on the class network


def test_free_port_skips_a_port_in_use():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert free_port("127.0.0.1", port) != port


def test_one_version_everywhere():
    out = subprocess.run([sys.executable, "-m", "spamcore", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"spamcore {__version__}"
    from importlib.metadata import version

    assert version("spamcore") == __version__


def test_spamcore_app_refuses_a_bad_port_in_one_line():
    out = subprocess.run([sys.executable, "-m", "spamcore", "app", "--port", "70000"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == ["error: --port must be from 1 to 65535; got 70000"]


@pytest.mark.parametrize(("model", "extra", "expected"), [
    ("bundled:minilm-l6", "", "bundled MiniLM-L6 BERT (offline)"),
    ("bert-base-uncased", "", "bert-base-uncased"),
    ("google/bert_uncased_L-2_H-128_A-2", "bundled:modern", "google/bert_uncased_L-2_H-128_A-2"),
    ("/home/teacher/runs/finetune-20261206-0901", "bundled:modern+class:3",
     "finetune-20261206-0901, retrained on round 3"),
    ("C:\\Users\\teacher\\runs\\ft", "class:12", "ft, retrained on round 12"),
    ("./my-bert", "", "my-bert"),
])
def test_a_model_is_named_for_people_never_by_its_path(model, extra, expected):
    assert model_description(model, extra) == expected
