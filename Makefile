# Everything runs inside a project-local virtual environment that the targets create.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench bench-quick lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

## make demo: set up, then train the iris classifier (`lamina demo iris`)
demo: $(STAMP)
	$(BIN)/lamina demo iris

## make test: the default (fast) test suite; pytest's "no tests ran" (exit 5) fails too
test: $(STAMP)
	$(BIN)/python -m pytest -q

## make test-all: also the slow tests (training to target accuracy, estimator checks)
test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
