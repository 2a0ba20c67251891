# The two commands a new user types: `make run` and `make test`.
# Each creates (or reuses) a virtual environment in .venv, installs lowprec with what it
# needs (the mpich wheel provides mpiexec), and runs.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: run test test-slow setup clean-results

run: $(STAMP)
	snakemake --profile workflow/profiles/default --cores $(CORES)
	@echo "Results are in $(CURDIR)/results/ (summary: results/summary/)."

# The fast suite; test-slow adds the long validation runs (climates after spin-up, the
# highest-degree bounds), marked slow, which take several minutes more.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lowprec needs Python 3.11 or newer; set PYTHON=/path/to/python3.11.")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[mpi,test]'
	$(BIN)/lowprec warm-up
	touch $(STAMP)

clean-results:
	rm -rf results/*/ .snakemake
