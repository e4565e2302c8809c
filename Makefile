# The README's two commands are `make demo` and `make test`; both build .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# llama-cpp-python builds llama.cpp from source once (pip caches the wheel). Build only the
# library the runtime loads (not the multimodal llava/mtmd one), on every core, for any x86-64
# with AVX2 rather than for this CPU: a native build uses AMX and AVX-512 where the CPU has
# them, and the AMX kernels crash (SIGSEGV on the first decode) in virtual machines whose
# kernel does not grant AMX state, as on the machine the README's figures come from.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
# The versions the install resolved when the README's figures were measured (pip freeze).
CONSTRAINTS := constraints.txt

.PHONY: demo test lint unit bench serve clean constraints

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@echo "appease: installing into $(VENV) (the first time builds llama.cpp from source: about 4 minutes on 2 cores)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install --progress-bar off -c $(CONSTRAINTS) -e ".[local,dev,bench,duckdb,spark,redis]" \
	  | { grep --line-buffered -E "^(Collecting|Building wheel|Successfully|ERROR)" || true; } | sed -u "s/^/  pip: /"
	touch $(STAMP)
	@echo "appease: installed; .venv/bin/appease is the command line"

# Refresh the constraints after changing dependencies in pyproject.toml.
constraints:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v "^appease" > $(CONSTRAINTS)

demo: $(STAMP)
	$(BIN)/appease demo

serve: $(STAMP)
	$(BIN)/appease demo --serve

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy bot

# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/property -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
