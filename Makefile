# Quick start: `make run` (set up + one full cycle + this week's digest), `make test` (set up + whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned, so that no later resolver step can pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# Exit code 1 from `run` means "some sources failed" (reported above); the digest is still written.
run: $(STAMP)
	$(BIN)/techwatch run || test $$? -eq 1
	$(BIN)/techwatch digest

test: $(STAMP)
	$(BIN)/ruff check watch jobs tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check watch jobs tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
