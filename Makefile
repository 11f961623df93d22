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
# The fixtures' build publishes here, never over the marts published from your data.
FIXTURE_PUBLISH_DIR := warehouse/test_fixtures_published
FIXTURE_EVENTS := tests/fixtures/events/*.csv
# Its own target/ and logs/: it runs side by side with sqlfluff, whose dbt templater uses the
# project's.
FIXTURE_DBT_DIR := warehouse/test_fixtures_dbt

.PHONY: help install install-spark install-metrics metrics run build fees statement check-chromium test test-spark spark-build bench lint unit-dbt pytest clean

help:
	@echo "make run    set up .venv, build the warehouse on the sample data, print the monthly fees"
	@echo "make test   lint (sqlfluff, ruff) + dbt build on the test fixtures + pytest (Spark parity included)"
	@echo "make fees   print the monthly fee table of the current warehouse"
	@echo "make statement MONTH=2026-10 [CHANNEL=@bank_cs]  write the monthly HTML statements"
	@echo "make test-spark  build the fixtures on local Spark and compare every mart with DuckDB"
	@echo "make spark-build build the sample data on local Spark (tables under warehouse/spark)"
	@echo "make metrics     validate the semantic layer and list its metrics (mf; builds nothing)"
	@echo "make bench  generate 1M and 10M events, time full/incremental builds and the baseline"
	@echo "make build [EVENTS='landing/*.parquet'] [FULL_REFRESH=1]  dbt build on the sample data, or on your event files"
	@echo "make lint   sqlfluff and ruff"
	@echo "make unit-dbt    dbt build (unit tests included) on the test fixtures, in its own warehouse file"
	@echo "make pytest      pytest only (PYTEST_WORKERS=0 runs it in one process)"
	@echo "make install     create .venv with the project's packages (the other targets do it when needed)"
	@echo "make check-chromium  check that Chromium and chromedriver are there for the statement's browser test"
	@echo "make install-spark / make install-metrics  the optional Spark target's and mf's packages"
	@echo "make clean  remove dbt's and the tests' output (target/, logs/, the test fixtures' files);"
	@echo "            keeps the warehouse: its closed months and fee adjustments cannot be rebuilt"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required; run: make PYTHON=/path/to/python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev]"
	@touch $@

install: $(STAMP)

# The Spark target's packages (pyspark is large); only the Spark targets and `make test` need them.
SPARK_STAMP := $(VENV)/.installed-spark-stamp
$(SPARK_STAMP): $(STAMP)
	@command -v java >/dev/null || { echo "Spark needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev,spark]"
	@touch $@

install-spark: $(SPARK_STAMP)

# The semantic layer's command line (dbt-metricflow: `mf`); `make test` installs it, `make run` not.
METRICS_STAMP := $(VENV)/.installed-metrics-stamp
$(METRICS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev,metrics]"
	@touch $@

install-metrics: $(METRICS_STAMP)

# `dbt parse` writes target/semantic_manifest.json, which `mf` reads; then the configs are checked
# against the warehouse (build it first: make build).
metrics: $(METRICS_STAMP)
	$(BIN)/dbt parse --quiet
	$(BIN)/mf validate-configs
	$(BIN)/mf list metrics

KAKAO_SPARK_DIR ?= $(CURDIR)/warehouse/spark
export KAKAO_SPARK_DIR
SPARK_EVENTS := $(KAKAO_SPARK_DIR)/events

# Sample CSV -> Parquet (the Spark target reads Parquet), then the whole project on local Spark.
spark-build: $(SPARK_STAMP)
	$(BIN)/python scripts/events_to_parquet.py 'data/sample/*.csv' $(SPARK_EVENTS)
	cd $(KAKAO_SPARK_DIR) && KAKAO_DBT_TARGET=spark $(CURDIR)/$(BIN)/dbt build \
	    --project-dir $(CURDIR) --target-path $(KAKAO_SPARK_DIR)/target --log-path $(KAKAO_SPARK_DIR)/logs \
	    --vars '{chat_events_path: "$(SPARK_EVENTS)/*.parquet"}'

# Writes benchmarks/results.md; data and build files go to benchmarks/data and benchmarks/work.
# BENCH_ARGS="--sizes 100000000 --memory-limit 8GB" for the opt-in 100M run, "--spark" for Spark.
bench: $(STAMP)
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

test-spark: $(SPARK_STAMP)
	$(BIN)/python -m pytest -m spark

run: $(STAMP) build fees

# EVENTS: your chat event files (a path or glob, CSV or Parquet); unset: the sample data.
# FULL_REFRESH=1: rebuild from the files as they are (dbt build --full-refresh).
# scripts/dbt_build.py: stops at once if another process holds the warehouse, and handles
# SIGTERM (a scheduler's stop) like Ctrl-C.
build: $(STAMP)
	$(BIN)/python scripts/dbt_build.py build $(if $(FULL_REFRESH),--full-refresh) $(if $(EVENTS),--vars '{chat_events_path: "$(EVENTS)"}')

fees: $(STAMP)
	@$(BIN)/python scripts/show_fees.py --database $(KAKAO_DUCKDB_PATH)

# One HTML statement per channel with usage in MONTH (or CHANNEL's only), to warehouse/statements.
statement: $(STAMP)
	@test -n "$(MONTH)" || { echo "Usage: make statement MONTH=2026-10 [CHANNEL=@bank_cs]"; exit 1; }
	@$(BIN)/python scripts/statement.py --database $(KAKAO_DUCKDB_PATH) --month '$(MONTH)' \
	    $(if $(CHANNEL),--channel '$(CHANNEL)')

# The statement's browser test needs Chromium and chromedriver (.ci/run installs them).
check-chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { echo "The statement's browser test needs Chromium and chromedriver (e.g. apt-get install chromium chromium-driver)"; exit 1; }

# Lint and the fixtures' build run side by side (each prints its output when done), then pytest.
test: $(SPARK_STAMP) $(METRICS_STAMP) check-chromium
	@$(MAKE) --no-print-directory --jobs=2 --output-sync=target lint unit-dbt
	@$(MAKE) --no-print-directory pytest

lint: $(STAMP)
	$(BIN)/ruff check scripts tests udfs
	$(BIN)/sqlfluff lint --processes 2 models tests/integrity

# The whole project, unit tests included, on the expected-output fixtures.
unit-dbt: $(STAMP)
	KAKAO_DUCKDB_PATH=$(FIXTURE_DB) KAKAO_PUBLISH_DIR=$(FIXTURE_PUBLISH_DIR) $(BIN)/dbt build \
	    --target-path $(FIXTURE_DBT_DIR)/target --log-path $(FIXTURE_DBT_DIR)/logs \
	    --vars '{chat_events_path: "$(FIXTURE_EVENTS)"}'

# One pytest worker per core (the tests build into their own temporary folders); a free worker
# takes over queued tests from a busy one. PYTEST_WORKERS=0 runs them in this process. The ten
# slowest tests are listed before the summary: where the suite's time goes.
PYTEST_WORKERS ?= auto
pytest: $(SPARK_STAMP) $(METRICS_STAMP) check-chromium
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=10

# Not the warehouse (KAKAO_DUCKDB_PATH) or its published marts: closed months and fee adjustments
# are history no build can recreate (DECISIONLOG D15). Delete them by hand to start over.
clean:
	rm -rf target logs .pytest_cache .hypothesis .ruff_cache build *.egg-info artifacts $(FIXTURE_DB) $(FIXTURE_DB).wal $(FIXTURE_PUBLISH_DIR) $(FIXTURE_DBT_DIR)
