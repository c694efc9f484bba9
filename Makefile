# The README's commands. CI runs `make test` on a fresh clone, so everything installs from here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) examples/offline_demo.py

lint: install
	$(VENV)/bin/ruff check nbrun tests bench examples
	$(VENV)/bin/ruff format --check nbrun tests bench examples
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest

test: lint unit

bench:
	bash bench/setup.sh
	bench/.venv/bin/python bench/log_overhead.py
	bench/.venv/bin/python bench/online_ingest.py
	bench/.venv/bin/python bench/chart_query.py

clean:
	rm -rf $(VENV) bench/.venv .pytest_cache .mypy_cache .ruff_cache
