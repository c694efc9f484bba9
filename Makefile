# The README's commands. CI runs `make test` on a fresh clone, so everything installs from here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo lab test lint unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The dashboard's assets, rebuilt when the front-end sources change (the wheel's build hook
# alone would skip once they exist).
DASHBOARD := nbrun/server/static/dashboard.js
$(DASHBOARD): labextension/package.json labextension/yarn.lock labextension/build.mjs \
		labextension/tsconfig.json labextension/tsconfig.lab.json \
		$(shell find labextension/src labextension/style -type f) | $(STAMP)
	JLPM=$(CURDIR)/$(VENV)/bin/jlpm bash labextension/build.sh

# The editable install copies the built JupyterLab extension, which a rebuild leaves stale:
# link the venv's copy to the checkout's build instead.
LABEXT := $(VENV)/share/jupyter/labextensions/nbrun

install: $(STAMP) $(DASHBOARD)
	rm -rf $(LABEXT) && ln -s $(CURDIR)/nbrun/labextension $(LABEXT)

demo: install
	$(PY) examples/quickstart_demo.py

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

lint: install
	$(VENV)/bin/ruff check nbrun tests bench examples
	$(VENV)/bin/ruff format --check nbrun tests bench examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports  # the layers of DESIGN.md (pyproject.toml [tool.importlinter])
	cd labextension && $(CURDIR)/$(VENV)/bin/jlpm lint

unit: install
	cd labextension && $(CURDIR)/$(VENV)/bin/jlpm test
	$(PY) -m pytest

test: lint unit

bench:
	bash bench/setup.sh
	bench/.venv/bin/python bench/log_overhead.py
	bench/.venv/bin/python bench/media_log.py
	bench/.venv/bin/python bench/artifact_log.py
	bench/.venv/bin/python bench/online_ingest.py
	bench/.venv/bin/python bench/chart_query.py
	$(PY) bench/widget_overhead.py

clean:
	rm -rf $(VENV) bench/.venv .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
