# The two commands a new user types: `make run` and `make test`.
# Each creates (or reuses) a virtual environment in .venv, installs lowprec with what it
# needs (the mpich wheel provides mpiexec), and runs.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CORES ?= 2
export PATH := $(BIN):$(PATH)

# Installs with uv (from PyPI: 23 s against pip's 59 s for lowprec's dependencies on a fresh
# machine, docs/performance.md); where uv cannot (no uv wheel, or a pip.conf index that uv
# does not read), with pip. Both write the packages' bytecode at install time: each of a
# study's jobs would otherwise compile every module it imports from source (3.6 s a job
# where PYTHONDONTWRITEBYTECODE is set); compileall does the same for lowprec's own code.
comma := ,
define install
$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '$(1)' \
	|| { $(BIN)/python -m pip install --quiet --upgrade pip \
	     && $(BIN)/python -m pip install --quiet -e '$(1)'; }
endef

.PHONY: run test test-slow setup clean-results

run: $(STAMP)
	snakemake --profile workflow/profiles/default --cores $(CORES)
	@echo "Results are in $(CURDIR)/results/ (summary: results/summary/)."

# The fast suite, on CORES pytest workers (pytest-xdist: many tests wait on process start-ups
# and Snakemake's planning, so two workers on two cores take about 0.6 of the serial time);
# test-slow adds the long validation runs (climates after spin-up, the
# highest-degree bounds), marked slow, which take several minutes more, and the second-tier
# checks marked extended (.ci/run runs those too).
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -m "not slow and not extended" -n $(CORES)

test-slow: $(TEST_STAMP)
	$(BIN)/python -m pytest

setup: $(STAMP)

# The workflow alone needs no test tools (pytest, the CF compliance checker and what they
# pull in), so make run does not wait for them.
$(TEST_STAMP): $(STAMP)
	$(call install,.[mpi$(comma)test])
	touch $(TEST_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lowprec needs Python 3.11 or newer; set PYTHON=/path/to/python3.11.")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv || true
	$(call install,.[mpi])
	$(BIN)/python -m compileall -q pipeline
	$(BIN)/lowprec warm-up
	touch $(STAMP)

clean-results:
	rm -rf results/*/ .snakemake
