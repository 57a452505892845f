# Project-local environment: `make demo` and `make test` are all a new user types.
# Both are idempotent: the virtual environment is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench docs clean mutate mutate-sample

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: $(PYTHON) is Python `$(PYTHON) -c 'import platform; print(platform.python_version())'`;" \
	       "this project needs Python >= 3.12 (pyenv reads .python-version; or run make PYTHON=python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# compile the model's day once, into its on-disk cache (about 1.5 minutes of CPU)
	$(BIN)/python -c "from sim import ServiceProfitChainModel as M, load_scenario as L; M(L('scenarios/baseline.toml', {'customers.count': 300})).run(8)"
	@touch $@

demo: $(STAMP)
	$(BIN)/spc compare scenarios/baseline.toml

# pytest exit status 5 means "no tests collected": reported, not counted as a failure.
test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

# the fast subset for local work: leaves out tests marked slow (statistical directions,
# end-to-end CLI), which `make test` and CI still run
test-fast: $(STAMP)
	@$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check sim experiments tests benchmarks tools
	$(BIN)/ruff format --check sim experiments tests benchmarks tools
	$(BIN)/mypy

# Mutation testing (tools/mutation.py, mutmut): score and survivors in results/mutation/.
# The full run takes hours on 2 cores; mutate-sample checks MUTATE_SAMPLE random mutants
# (MUTATE_SEED picks them). Narrow either with MUTATE_ARGS="--only 'sim.metrics.*'".
# Mutants run as Python (NUMBA_DISABLE_JIT=1, set by tools/mutation.py), so the compiled
# passes are mutated too.
MUTATE_STAMP := $(VENV)/.mutation-stamp
MUTATE_SAMPLE ?= 30
$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	@touch $@

mutate: $(MUTATE_STAMP)
	nice -n 19 $(BIN)/python tools/mutation.py $(MUTATE_ARGS)

mutate-sample: $(MUTATE_STAMP)
	nice -n 19 $(BIN)/python tools/mutation.py --sample $(MUTATE_SAMPLE) $(MUTATE_ARGS)

bench: $(STAMP)
	$(BIN)/spc bench

docs: $(STAMP)
	$(BIN)/python -m sim.odd --write docs/ODD.md

clean:
	rm -rf $(VENV) results mutants .pytest_cache .hypothesis .mypy_cache
