# Two commands for a fresh clone (see README):
#   make run    install into .venv on first use, build the bundled data, run the reports
#   make test   install into .venv on first use, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean-venv bench under-load mutate mutate-resume

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	-git rev-parse --git-dir >/dev/null 2>&1 && $(BIN)/nbstripout --install --attributes .gitattributes
	$(BIN)/python -c "from analysis.reports.execution import ensure_kernelspec; ensure_kernelspec()"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/analysis run-all

# Two pytest workers (pytest-xdist), one per core of the CI machine; a test file stays on one worker.  The 15
# slowest steps are listed at the end, so that a CI log shows where the suite's time goes (budget: 15 minutes).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

clean-venv:
	rm -rf $(VENV)

# Benchmarks (not part of the test suite): see benchmarks/run.py and benchmarks/RESULTS.md.  They run in a venv
# of their own with what a user installs (the dask extra, and psutil for the runner's memory): in .venv, pandera's
# first validation imports the dev extra's hypothesis, 0.3 s more in every fresh build, validate or report process.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dask]" psutil
	$(BENCH_VENV)/bin/python -c "from analysis.reports.execution import ensure_kernelspec; ensure_kernelspec()"
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py $(ARGS)

# The test suite and the main job, 3 times each, while busy loops keep every core busy (scripts/under-load.sh)
under-load: $(STAMP)
	scripts/under-load.sh

# Mutation testing (not part of `make test`; slow, see docs/mutation.md): mutmut mutates the metrics, the
# readers, the ledger and the report records in a copy (mutants/) and runs the fast tests against each mutant.
# `make mutate MUTANTS='analysis.metrics.*'` runs a part.  The copy finds ../shared/realdata through ./shared.
MUTANTS ?= analysis.metrics.* analysis.sources.* analysis.build.ingest.xǁLedgerǁ* analysis.build.ingest.x_settle* analysis.build.dedupe.* \
	analysis.build.ingest.x_ingest_chunk* analysis.build.ingest.x_ingest_pieces* analysis.reports.reporting.* analysis.reports.x__run_record*
mutate: $(STAMP)
	@[ -e shared ] || [ ! -d ../shared ] || ln -s ../shared shared
	$(BIN)/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/mutmut results
	$(BIN)/mutmut results --all true | $(BIN)/python scripts/mutation_score.py $(foreach m,$(MUTANTS),'$(m)')

# Resume a stopped `make mutate` in the same folder: run only the selected mutants still "not checked", by their
# exact names (given a pattern, mutmut runs again every mutant it matches).  See docs/mutation.md.
mutate-resume: $(STAMP)
	@[ -d mutants ] || { echo "no mutants/ here: run make mutate first" >&2; exit 2; }
	$(BIN)/mutmut results --all true | $(BIN)/python scripts/mutation_score.py --pending $(foreach m,$(MUTANTS),'$(m)') > mutants/pending.txt
	@echo "$$(wc -l < mutants/pending.txt) mutants to run"
	xargs -r -d '\n' -a mutants/pending.txt $(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results --all true | $(BIN)/python scripts/mutation_score.py $(foreach m,$(MUTANTS),'$(m)')
