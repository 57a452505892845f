# Project-local environment: `make demo` and `make test` are all a new user types.
# Both are idempotent: the virtual environment is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: $(PYTHON) is Python `$(PYTHON) -c 'import platform; print(platform.python_version())'`;" \
	       "this project needs Python >= 3.12 (pyenv reads .python-version; or run make PYTHON=python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(STAMP)
	$(BIN)/spc compare scenarios/baseline.toml

# pytest exit status 5 means "no tests collected": reported, not counted as a failure.
test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check sim experiments tests
	$(BIN)/ruff format --check sim experiments tests

bench: $(STAMP)
	$(BIN)/spc bench

docs: $(STAMP)
	$(BIN)/python -m sim.odd --write docs/ODD.md

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
