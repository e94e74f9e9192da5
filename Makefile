# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make report   - create .venv, install, run every assessment on the shipped example parameters
#   make test     - same set-up, then the whole suite (notebooks included)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= outputs

.PHONY: report test lab app lint clean setup compiled

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# the package's bytecode, written ahead: where PYTHONDONTWRITEBYTECODE is set no run writes it, and every kernel
# (each report, each form page) would compile the package again, 0.2-0.3 s; stale files only, so cheap when current
compiled: $(STAMP)
	@$(BIN)/python -m compileall -q workbook_lib

# every assessment each shipped parameters file runs (parameters/*.yaml; subfolders hold data), in parallel
report: compiled
	@$(BIN)/workbook batch parameters/ --out $(OUT); status=$$?; \
	echo "Reports are in $(abspath $(OUT))/<organisation>/<period>/; the index is $(abspath $(OUT))/index.html"; \
	exit $$status

test: compiled
	$(BIN)/lint-imports
	tests/setup_system.sh
	$(BIN)/python tests/prepare_notebooks.py build/nbval
	$(BIN)/python -m pytest tests build/nbval --nbval-lax -p no:cacheprovider

# JupyterLab refuses to start as root unless told to: as root (a container) it is started with --allow-root
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

# the stakeholder web forms (Voila); PORT=8866 by default, WORKBOOK_DB chooses the store
app: compiled
	$(BIN)/workbook app --port $(or $(PORT),8866)

lint: $(STAMP)
	$(BIN)/ruff check workbook_lib tests
	$(BIN)/lint-imports

clean:
	rm -rf build $(OUT)/*/ .pytest_cache
