"""Where the app's files are inside the installed package: the script Streamlit runs, the pages, the assets.

Paths are absolute, so the same router works from ``streamlit run app.py`` in a checkout and from ``spamcore app``
started in any folder (Streamlit resolves a relative page path against the script it was started with).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The script ``spamcore app`` hands to Streamlit.
SCRIPT = HERE / "streamlit_app.py"
VIEWS = HERE / "views"
ASSETS = HERE / "assets"


def view(name: str) -> Path:
    """The page file ``name`` (without ``.py``). Example: ``view("train").name == "train.py"``."""
    return VIEWS / f"{name}.py"


def asset(name: str) -> Path:
    """A file shipped in ``assets/``. Example: ``asset("logo.svg").is_file()``."""
    return ASSETS / name
