# Everything runs inside a project-local virtual environment that the targets create.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

ANCHORS := benchmarks/.anchors

.PHONY: demo test test-all bench bench-quick clean

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

## make bench: lamina against PyTorch, JAX, Keras (TensorFlow) and scikit-learn, in rounds of
## separate processes; writes benchmarks/RESULTS.md (make bench-quick: under 5 minutes)
$(ANCHORS)/.installed:
	$(PYTHON) -m venv $(ANCHORS)
	$(ANCHORS)/bin/python -m pip install -q --upgrade pip
	$(ANCHORS)/bin/python -m pip install -q torch==2.13.0
	$(ANCHORS)/bin/python -m pip install -q numpy jax jaxlib tensorflow-cpu keras scikit-learn
	touch $@

$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[fast,plot,sklearn]'
	touch $@

bench: $(VENV)/.bench $(ANCHORS)/.installed
	$(BIN)/python -m benchmarks.run

bench-quick: $(VENV)/.bench $(ANCHORS)/.installed
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) $(ANCHORS) build dist *.egg-info .pytest_cache
