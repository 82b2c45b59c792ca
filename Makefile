# kneeviz: two commands for a new user.
#   make run    set up .venv and start the app with the bundled knee
#   make test   set up .venv with the test tools; ruff, mypy, the import contract, then the whole
#               suite headless (Xvfb)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kneeviz-installed
TSTAMP := $(VENV)/.kneeviz-test-installed
UV     := $(shell command -v uv 2>/dev/null)
ARGS   ?=

.PHONY: run test lint sysdeps venv test-deps bench clean assets

sysdeps:
	@bash scripts/system-deps.sh

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kneeviz needs Python >= 3.11: set PYTHON=python3.11")'
ifdef UV
	uv venv -q --python $(PYTHON) $(VENV)
else
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
endif

$(STAMP): pyproject.toml | $(PY)
ifdef UV
	VIRTUAL_ENV=$(VENV) uv pip install -q -e .
else
	$(PY) -m pip install -q -e .
endif
	@touch $@

$(TSTAMP): pyproject.toml $(STAMP)
ifdef UV
	VIRTUAL_ENV=$(VENV) uv pip install -q -e '.[test]'
else
	$(PY) -m pip install -q -e '.[test]'
endif
	@touch $@

venv: sysdeps $(STAMP)
test-deps: sysdeps $(TSTAMP)

run: venv
	@bash scripts/run-app.sh $(ARGS)

test: test-deps
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	KNEEVIZ_SLOW_TESTS=1 xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) -m pytest -q $(ARGS)

bench: test-deps
	$(PY) benchmarks/bench_solver.py
	$(PY) benchmarks/bench_render.py
	xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) benchmarks/bench_app.py

assets: venv
	$(PY) -m kneeviz build-default-knee --out assets/meshes

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
