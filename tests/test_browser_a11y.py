"""Accessible on the projector and on phones: axe-core (WCAG 2 A and AA, 2.0 and 2.1) finds no violation on any
page, as the teacher sees it and as a student's phone does.

axe-core comes from npm (``make test`` installs it into ``node_modules/``, as it installs Chromium from Debian); the
pages run on a tiny finished run and hand-written data, so every page draws its full content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, settle, streamlit_server
from test_browser_bad_input import tiny_lab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TEACHER_PAGES = ("Home", "Data", "Train", "Evaluate", "Classify", "Runs", "How BERT learns", "Class board",
                 "Challenge")
STUDENT_PATHS = ("challenge", "classify")
RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({rule: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""


def violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE)


@pytest.fixture(scope="module")
def lab(tiny_model_dir, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not AXE.is_file():
        pytest.skip(f"axe-core not found at {AXE} (make test installs it: npm install axe-core)")
    tmp = tmp_path_factory.mktemp("a11y")
    runs, data = tiny_lab(tmp, tiny_model_dir)
    return tmp, runs, data


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_no_wcag_violation_on_any_page(lab, role):
    from playwright.sync_api import sync_playwright

    tmp, runs, data = lab
    env = {"SPAMCORE_LOCAL_IS_TEACHER": "1" if role == "teacher" else "0"}
    found = {}
    with streamlit_server(tmp, runs, data, env=env) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # The teacher's laptop at the projector; a student's phone.
        size = {"width": 1440, "height": 1400} if role == "teacher" else {"width": 390, "height": 844}
        page = browser.new_page(viewport=size)
        page.set_default_timeout(90_000)
        if role == "teacher":
            page.goto(url)
            page.wait_for_selector("h1")
            for title in TEACHER_PAGES:
                page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
                settle(page, 1500)
                found[title] = violations(page)
        else:
            for path in STUDENT_PATHS:
                page.goto(f"{url}/{path}")
                page.wait_for_selector("h1")
                settle(page, 1500)
                found[path] = violations(page)
        browser.close()
    assert all(not v for v in found.values()), json.dumps({k: v for k, v in found.items() if v}, indent=1)
