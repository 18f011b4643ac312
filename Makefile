# Style Lab: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out

.PHONY: install demo test serve bench bench-fast screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU wheel of torch first (pinned), so no dependency pulls a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/stylelab demo --out $(OUT)

# pytest exits 5 when it collects no test: treat that as a failure to notice, not a pass.
# Passive OpenMP waiting: the web and grid tests run worker processes beside the test process on
# 2 cores, and busy-waiting torch threads then spin against each other (measured: up to 50x slower).
test: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

serve: $(STAMP)
	$(BIN)/stylelab serve

bench: $(STAMP)
	$(BIN)/python benchmarks/floor.py
	$(BIN)/python benchmarks/gatys_vs_pastiche.py

bench-fast: $(STAMP)
	$(BIN)/python benchmarks/fast_vs_stl.py
	$(BIN)/python benchmarks/fast_transformer_variants.py

# README screenshots of the web app from a real run (needs /usr/bin/chromium)
screenshots: $(STAMP)
	$(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) $(OUT) bench-results test-artifacts .pytest_cache
