# kneeviz: two commands for a new user.
#   make run    set up .venv and start the app with the bundled knee
#   make test   set up .venv with the test tools; ruff, mypy, the import contract, then the whole
#               suite headless (Xvfb)
#   make hostile  the hostile-input set alone, with its tally
#   make lock   write requirements/lock.txt again (the pinned versions every target installs)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kneeviz-installed
TSTAMP := $(VENV)/.kneeviz-test-installed
UV     := $(shell command -v uv 2>/dev/null)
ARGS   ?=
# The development environment's pinned versions (scripts/lock.py, docs/development.md): every
# install below takes them as constraints, with pip or uv alike. The wheel keeps the ranges of
# pyproject.toml.
LOCK   := requirements/lock.txt

.PHONY: run test hostile lint sysdeps venv test-deps bench clean assets bundle icons lock

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

# uv compiles the dependencies' bytecode at install time, as pip does (uv's default is not to):
# where bytecode is never written at run time (PYTHONDONTWRITEBYTECODE, a read-only environment)
# every process would compile Qt's, VTK's and scipy's Python modules from source again.
$(STAMP): pyproject.toml $(LOCK) | $(PY)
ifdef UV
	VIRTUAL_ENV=$(VENV) uv pip install -q --compile-bytecode -c $(LOCK) -e .
else
	$(PY) -m pip install -q -c $(LOCK) -e .
endif
	@touch $@

$(TSTAMP): pyproject.toml $(LOCK) $(STAMP)
ifdef UV
	VIRTUAL_ENV=$(VENV) uv pip install -q --compile-bytecode -c $(LOCK) -e '.[test]'
else
	$(PY) -m pip install -q -c $(LOCK) -e '.[test]'
endif
	@touch $@

venv: sysdeps $(STAMP)
test-deps: sysdeps $(TSTAMP)

run: venv
	@bash scripts/run-app.sh $(ARGS)

test: test-deps
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	KNEEVIZ_SLOW_TESTS=1 xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) -m pytest -q $(ARGS)

# the hostile set alone (it also runs inside `make test`): prints its tally at the end
hostile: test-deps
	$(PY) -m pytest -q tests/hostile $(ARGS)

bench: test-deps
	$(PY) benchmarks/bench_solver.py
	$(PY) benchmarks/bench_baseline.py
	$(PY) benchmarks/bench_render.py
	xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) benchmarks/bench_app.py

# Pin again after a change to pyproject.toml's dependencies or extras: keeps every current pin and
# adds the newest fitting version of what is new (UPGRADE=1: the newest of everything), then
# installs it. Run `make test` before committing the new lock.
lock: | $(PY)
	$(PY) scripts/lock.py $(if $(UPGRADE),--upgrade,)
	@$(MAKE) --no-print-directory test-deps

assets: venv
	$(PY) -m kneeviz build-default-knee --out assets/meshes

# The standalone app: a one-folder PyInstaller bundle in dist/kneeviz/ (run dist/kneeviz/kneeviz).
# PyInstaller is the optional 'bundle' extra, installed into .venv only for this target.
BSTAMP := $(VENV)/.kneeviz-bundle-installed
$(BSTAMP): pyproject.toml $(LOCK) $(STAMP)
ifdef UV
	VIRTUAL_ENV=$(VENV) uv pip install -q -c $(LOCK) -e '.[bundle]'
else
	$(PY) -m pip install -q -c $(LOCK) -e '.[bundle]'
endif
	@touch $@

bundle: sysdeps $(BSTAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
	  --distpath dist --workpath build/pyinstaller packaging/kneeviz.spec
	@du -sm dist/kneeviz | awk '{print "kneeviz: bundle dist/kneeviz/ is " $$1 " MB"}'

# Re-render the icon's PNG sizes after editing src/kneeviz/icons/kneeviz.svg.
icons: venv
	QT_QPA_PLATFORM=offscreen $(PY) packaging/render_icons.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
