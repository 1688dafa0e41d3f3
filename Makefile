# One entry point for people and CI. `make test` is what .ci/run calls.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SPECS := $(wildcard specs/*.yaml)
SHARED ?= ../shared
GATEWAY_PORT ?= 5000
REST_PORT ?= 8080
MCP_PORT ?= 9090

.PHONY: help venv build check lint fmt typecheck test test-fast interop framework run corpus clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/naftiko-gen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(BIN)/naftiko-gen  ## create .venv with naftiko-gen and the test tools

build: venv  ## regenerate generated/ from specs/
	$(BIN)/naftiko-gen build $(SPECS)

check: venv  ## fail if generated/ is stale
	$(BIN)/naftiko-gen check $(SPECS)

lint: venv  ## ruff, black --check and mypy --strict on the generator and the tests
	$(BIN)/ruff check generator tests
	$(BIN)/black --check --quiet generator tests
	$(BIN)/mypy

fmt: venv  ## apply ruff fixes and black
	$(BIN)/ruff check --fix generator tests
	$(BIN)/black --quiet generator tests

test: venv  ## lint, check generated/, run every test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-fast: venv  ## unit tests only
	$(BIN)/python -m pytest -q tests/unit

interop: venv  ## third-party tools vs generated servers: MCP conformance suite, Inspector, schemathesis (docs/interop.md)
	$(BIN)/python -m tests.support.node_tools
	$(BIN)/python -m pytest -q -m interop tests/interop
	@echo "measured (.interop/last-run.json):" && cat .interop/last-run.json

run: venv  ## build web-sessions, start the IBKR gateway simulator and the generated adapters
	$(BIN)/naftiko-gen build specs/web-sessions.yaml
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --force-reinstall ./generated/web_sessions
	$(BIN)/python -m tests.support.run_demo --gateway-port $(GATEWAY_PORT) --rest-port $(REST_PORT) --mcp-port $(MCP_PORT)

framework: venv  ## build and run every official alpha2 example against a stand-in upstream (needs $(SHARED))
	$(BIN)/python -m pytest -q -m framework tests/framework

# One shell line: an `exit 0` on a line of its own would not stop make from running the next one.
corpus: venv  ## build + import every spec of $(SHARED)/corpus, report in docs/corpus.md (optional)
	@if [ ! -d $(SHARED)/corpus ]; then echo "no $(SHARED)/corpus here: nothing to do"; \
	else $(BIN)/python -m tests.support.corpus_report $(SHARED)/corpus $(CORPUS_ARGS); fi

.PHONY: bench
bench: venv  ## benchmark vs FastAPI/FastMCP/hand-tuned proxies, < 10 min, loopback (BENCH_ARGS=--quick)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --force-reinstall ./generated/web_sessions
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:  ## remove the virtual environment, the interop tools and caches
	rm -rf $(VENV) .interop .mypy_cache .ruff_cache .pytest_cache
