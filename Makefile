# ShopWatch: `make run` starts the bot, `make test` runs every check.
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Dialogue tests mostly wait on loopback HTTP, so more workers than cores pays off.
TEST_WORKERS ?= 4

.PHONY: run test lint typecheck check bench soak clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ShopWatch needs Python 3.11 or newer: set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

run: $(INSTALLED)
	$(BIN)/shopwatch run --demo-without-token

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

# Latency tests (marked quiet) run alone afterwards: parallel workers would measure each other.
test: lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not quiet"
	$(BIN)/pytest -m quiet

check: $(INSTALLED)
	$(BIN)/shopwatch check

# The broadcast engine (about 3 min) and update handling against a bare aiogram echo bot
# (about 6 min), against the sandbox; needs the local PostgreSQL and Redis.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.broadcast --output BENCHMARKS.md
	$(BIN)/python -m benchmarks.updates --output BENCHMARKS.md

# The long fault, hostile-input and property runs (tests/reliability with SHOPWATCH_SOAK=1).
soak: $(INSTALLED)
	SHOPWATCH_SOAK=1 $(BIN)/pytest -n 2 -p no:cacheprovider tests/reliability

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
