# Two commands a new user needs: `make run` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test services bench lint clean

$(BIN)/lmagent: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $(BIN)/lmagent

install: $(BIN)/lmagent

# The main job on the embedded default (offline, no LLM): route a question, then answer it.
run: install
	$(BIN)/lmagent route "¿por qué mi endpoint tiene un P95 de 2 segundos?"
	$(BIN)/lmagent ask --offline --db none "¿por qué mi endpoint tiene un P95 de 2 segundos y un error rate del 2%?"

services:
	bash .ci/services

test: install services
	@$(BIN)/python -m pytest; s=$$?; [ $$s -ne 5 ] || echo 'pytest collected no tests' >&2; exit $$s

bench: install services
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
