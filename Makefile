# Every target creates .venv and installs what it needs, so a fresh machine with
# only Python 3.11 can run `make run`, `make test` or `make bench` directly.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench mutation demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/aftersales

demo: $(STAMP)
	$(BIN)/aftersales demo --cases 200

lint: $(STAMP)
	$(BIN)/ruff check console tests benchmarks

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Mutation testing of the rule modules ([tool.mutmut] in pyproject.toml names them and the
# tests): minutes, so not part of `make test`. Reports and exits 0 whatever the figure.
MUTMUT_VERSION := 3.8.1

$(BIN)/mutmut: | $(STAMP)
	$(BIN)/python -m pip install -q 'mutmut==$(MUTMUT_VERSION)'

mutation: $(STAMP) $(BIN)/mutmut
	$(BIN)/python -m benchmarks.mutation

clean:
	rm -rf $(VENV) benchmarks/.data mutants
