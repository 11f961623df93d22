# kakao-consult-billing: `make run` builds the warehouse on the sample data, `make test` runs
# every check. Both create .venv on first use (Python 3.11) and reuse it afterwards.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DBT_PROFILES_DIR := $(CURDIR)
# Where profiles.yml finds the project's DuckDB functions (udfs/).
export KAKAO_PROJECT_DIR := $(CURDIR)
# Keep dbt's own files inside the project; never ask the network about versions.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

KAKAO_DUCKDB_PATH ?= warehouse/kakao_billing.duckdb
export KAKAO_DUCKDB_PATH
FIXTURE_DB := warehouse/test_fixtures.duckdb
FIXTURE_EVENTS := tests/fixtures/events/*.csv

.PHONY: help install run build fees test lint unit-dbt pytest clean

help:
	@echo "make run    set up .venv, build the warehouse on the sample data, print the monthly fees"
	@echo "make test   lint (sqlfluff, ruff) + dbt build on the test fixtures + pytest"
	@echo "make fees   print the monthly fee table of the current warehouse"
	@echo "make clean  remove build output (target/, logs/, warehouse/)"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required; run: make PYTHON=/path/to/python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev]"
	@touch $@

install: $(STAMP)

run: $(STAMP) build fees

build: $(STAMP)
	@mkdir -p $(dir $(KAKAO_DUCKDB_PATH))
	@$(BIN)/python scripts/check_warehouse_lock.py --database $(KAKAO_DUCKDB_PATH)
	$(BIN)/dbt build

fees: $(STAMP)
	@$(BIN)/python scripts/show_fees.py --database $(KAKAO_DUCKDB_PATH)

test: $(STAMP) lint unit-dbt pytest

lint: $(STAMP)
	$(BIN)/ruff check scripts tests udfs
	$(BIN)/sqlfluff lint models tests/integrity

# The whole project, unit tests included, on the expected-output fixtures.
unit-dbt: $(STAMP)
	@mkdir -p $(dir $(FIXTURE_DB))
	KAKAO_DUCKDB_PATH=$(FIXTURE_DB) $(BIN)/dbt build --vars '{chat_events_path: "$(FIXTURE_EVENTS)"}'

pytest: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf target logs warehouse .pytest_cache
