# image-updater: `make test` and `make demo` work on a fresh Debian machine (they install what is missing).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
UV := python3 -m uv
VENV := .venv
APT_PACKAGES := docker-registry openssh-server git skopeo
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: test demo deps system-deps lint typecheck unit bench clean

system-deps:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	@missing=""; \
	command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v skopeo >/dev/null || missing="$$missing skopeo"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

deps: system-deps
	@$(UV) sync --frozen --quiet

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

bench: deps
	$(VENV)/bin/python -m benchmarks.registry_cost

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
