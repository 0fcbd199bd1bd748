"""Where the benchmarks write their tables: between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in whichever
page of ``docs/`` holds those markers (each name is in one page), so the docs show what the last run measured."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def update_docs(text: str, section: str) -> Path:
    """Replace the text between the ``section`` markers in the docs page that holds them; that page's path."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    pages = [p for p in sorted(DOCS.glob("*.md")) if start in (body := p.read_text(encoding="utf-8")) and end in body]
    if len(pages) != 1:
        raise SystemExit(f"expected one docs page with {start} ... {end}; found {[p.name for p in pages]}")
    page = pages[0]
    before, rest = page.read_text(encoding="utf-8").split(start, 1)
    page.write_text(f"{before}{start}\n{text}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")
    return page
