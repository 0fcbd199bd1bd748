# The contributors' two commands on a fresh clone (teachers install the package instead: see README):
#   make app    set up .venv and start the app (spamcore app) on http://localhost:8501
#   make test   set up .venv (+ Chromium and axe-core for the browser tests) and run ruff, the docs build and every test
# Torch is pinned to 2.13.0 in pyproject.toml: on this machine kind that resolves to a CPU wheel on disk.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8501
PYTEST_ARGS ?=

.PHONY: app test setup browser axe docs lint bench clean screenshots

app: setup
	$(VENV)/bin/spamcore app --port $(PORT)

test: setup browser axe
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mkdocs build --strict --quiet --site-dir test-artifacts/site
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's Chromium for the Playwright tests (Playwright's own browser download cannot work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# axe-core from npm for the accessibility test (tests/test_browser_a11y.py), kept out of the repository.
AXE := node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; fi; }
	npm install --no-save --no-audit --no-fund --silent axe-core@4

docs: setup
	$(VENV)/bin/mkdocs build --strict --site-dir test-artifacts/site

lint: setup
	$(VENV)/bin/ruff check .

# Browser tests, then the page screenshots the README and the docs show into docs/screenshots/.
screenshots: setup browser
	$(PY) -m pytest -m browser tests/test_browser.py tests/test_browser_teaching_views.py tests/test_browser_class.py
	for f in home data train-live evaluate evaluate-outside evaluate-probes evaluate-calibration evaluate-cell classify-why \
	  classify-reader runs bert bert-map bert-guesses report class-board challenge-phone; do \
	  cp test-artifacts/screenshots/$$f.png docs/screenshots/; done

bench: setup
	$(PY) bench/train_speed.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts node_modules
