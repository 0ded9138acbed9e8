# Session-notes analysis: `make report` and `make test` are all a newcomer needs.
# Every target builds the virtual environment (.venv) from requirements.lock first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9
EXAMPLE := src/analysis/data/example_study.xlsx
REPORT_DIR := reports/example
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv report test browser lint bench notebooks lab data lock clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	@# uv installs ~8x faster than pip; fall back to pip if it cannot be installed. Bytecode is
	@# compiled once here: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile
	@# every module it imports on every start (seconds for matplotlib and scipy).
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; then \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install --quiet -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --no-deps -e . ; \
	fi
	@touch $(STAMP)

# the package's own modules change between runs: refresh their bytecode (fast when current)
BYTECODE = @$(BIN)/python -m compileall -q src >/dev/null

venv: $(STAMP) ## Build the virtual environment (.venv) from requirements.lock

report: $(STAMP) ## Render the example study's report to reports/example/report.html
	$(BYTECODE)
	$(BIN)/python -m analysis report $(EXAMPLE) --out $(REPORT_DIR)

browser: ## Install headless Chromium for the report's browser test (Debian/Ubuntu, as root)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver >/dev/null) || echo "could not install chromium: browser tests will be skipped"; \
	else echo "chromium not installed and not root: browser tests will be skipped (see README)"; fi

test: $(STAMP) browser ## Run the whole test suite, notebooks included (pytest --nbval)
	$(BYTECODE)
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg -p no:randomly notebooks src/analysis/notebooks

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check src tests data

bench: $(STAMP) ## Time reading, analysis, start-up and the report against their targets (benchmarks/README.md)
	$(BYTECODE)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

notebooks: $(STAMP) ## Re-execute the notebooks and save them with their outputs
	$(BIN)/python -m analysis.report notebooks src/analysis/notebooks

lab: $(STAMP) ## Start JupyterLab on the project's environment
	$(BIN)/jupyter lab --notebook-dir=notebooks

data: $(STAMP) ## Regenerate the synthetic example study (src/analysis/data/example_study.xlsx)
	$(BIN)/python data/make_example.py

lock: ## Re-resolve requirements.lock from pyproject.toml (needs the venv's uv)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --no-header --annotation-style line -o requirements.lock

clean: ## Remove the environment, caches and rendered reports
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
