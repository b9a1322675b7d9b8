# image-updater: `make test` and `make demo` work on a fresh Debian 12 / Ubuntu 24.04 machine with only
# make, python3 and git: `deps` (devtools/bootstrap.sh) installs what is missing, never into the system Python.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Bytecode compiled at install time: the first command run does not pay for it.
export UV_COMPILE_BYTECODE := 1

.PHONY: test demo demo-serve deps lint typecheck unit bench fresh-machine-check clean

deps:
	@devtools/bootstrap.sh

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: deps
	$(VENV)/bin/mypy --strict src
	$(VENV)/bin/lint-imports

unit: deps
	$(VENV)/bin/pytest -q -p no:cacheprovider --cov --cov-report=term:skip-covered --cov-fail-under=80

test: lint typecheck unit

demo: deps
	$(VENV)/bin/python -m devtools.demo

demo-serve: deps
	$(VENV)/bin/python -m devtools.demo --serve

# Every benchmark, each printing ratios against a baseline measured in the same run.
bench: deps
	$(VENV)/bin/python -m benchmarks.registry_cost
	$(VENV)/bin/python -m benchmarks.selection
	$(VENV)/bin/python -m benchmarks.startup
	$(VENV)/bin/python -m benchmarks.writeback
	$(VENV)/bin/python -m benchmarks.cycle
	$(VENV)/bin/python -m benchmarks.planning
	$(VENV)/bin/python -m benchmarks.gitplan
	$(VENV)/bin/python -m benchmarks.webhook

# Slow (a few minutes, downloads a Debian root filesystem and the PyPI wheels): see CONTRIBUTING.md.
fresh-machine-check:
	devtools/fresh_machine_check.sh

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .coverage
