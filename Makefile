# kakao-consult-billing: `make run` builds the warehouse on the sample data, `make try` tries your
# event files in a throwaway warehouse, `make test` runs every check. They create .venv on first
# use (Python 3.11) and reuse it afterwards: `make run`, `make try` and `make build` install what
# building and reading need; `make test` (and lint, unit-dbt, pytest) adds the development tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What building and reading need: the project's dependencies, no extras.
STAMP := $(VENV)/.installed-stamp
# The development tools besides: the `dev` extras (sqlfluff, pytest, ruff, selenium...).
DEV_STAMP := $(VENV)/.installed-dev-stamp
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
FIXTURE_INPUTS := tests/fixtures/reference
# Its own target/ and logs/: it runs side by side with sqlfluff, whose dbt templater uses the
# project's.
FIXTURE_DBT_DIR := warehouse/test_fixtures_dbt

.PHONY: help install install-dev install-spark install-metrics metrics run try try-usage build fees statement system-packages check-chromium test test-spark spark-build bench lint unit-dbt integration-tests pytest clean

comma := ,
# --vars for the files named on the command line: EVENTS (chat events, a path or glob, CSV or
# Parquet), INVOICES (Kakao's invoice lines, CSV), TEAMS (the consultants' teams, CSV). None
# given: the project's defaults, the sample data with its invoices and teams.
BUILD_VARS = $(if $(EVENTS)$(INVOICES)$(TEAMS),--vars '{$(if $(EVENTS),chat_events_path: "$(EVENTS)"$(comma) )$(if $(INVOICES),invoices_path: "$(INVOICES)"$(comma) )$(if $(TEAMS),consultant_teams_path: "$(TEAMS)")}')

help:
	@echo "make run    set up .venv, build the warehouse on the sample data (a line per stage), print the fees"
	@echo "make try EVENTS='your/*.csv' [INVOICES=invoices.csv] [TEAMS=teams.csv]"
	@echo "           build your files in a throwaway warehouse in a temporary folder: fees, rejected rows,"
	@echo "           the command that builds for real; closes no month, writes nothing under warehouse/"
	@echo "make test   lint (sqlfluff, ruff) + dbt build on the test fixtures + pytest (Spark parity included);"
	@echo "            installs the dev tools, and Java 17, Chromium and a Korean font when missing (as root)"
	@echo "make fees   print the monthly fee table of the current warehouse"
	@echo "make statement MONTH=2026-10 [CHANNEL=@bank_cs] [STATEMENT_LANG=en]  write the monthly HTML statements"
	@echo "make test-spark  build the fixtures on local Spark and compare every mart with DuckDB"
	@echo "make spark-build build the sample data on local Spark (tables under warehouse/spark)"
	@echo "make metrics     validate the semantic layer and list its metrics (mf; builds nothing)"
	@echo "make bench  generate 1M and 10M events, time full/incremental builds and the baseline"
	@echo "make build [EVENTS='landing/*.parquet'] [INVOICES=invoices.csv] [TEAMS=teams.csv] [FULL_REFRESH=1]"
	@echo "           dbt build (dbt's full output) on the sample data, or on your files"
	@echo "make lint   sqlfluff and ruff"
	@echo "make unit-dbt    dbt build (unit tests included) on the test fixtures, in its own warehouse file"
	@echo "make integration-tests  the project as a dbt package: dbt deps + dbt build of the consumer"
	@echo "                 project integration_tests/ on the test fixtures (docs/package.md)"
	@echo "make pytest      pytest only (PYTEST_WORKERS=0 runs it in one process)"
	@echo "make install     create .venv with the project's packages (the other targets do it when needed)"
	@echo "make install-dev add the development tools (sqlfluff, pytest, ruff, selenium...) to .venv"
	@echo "make system-packages  check for (as root: install) Java 17, Chromium, chromedriver, a Korean font"
	@echo "make install-spark / make install-metrics  the optional Spark target's and mf's packages"
	@echo "make clean  remove dbt's and the tests' output (target/, logs/, the test fixtures' files);"
	@echo "            keeps the warehouse: its closed months and fee adjustments cannot be rebuilt"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required; run: make PYTHON=/path/to/python3.11 ...")'
	@echo "Installing the project's packages into $(VENV) (a minute or two the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet -c constraints.txt .
	@touch $@

install: $(STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "Adding the development tools to $(VENV) (sqlfluff, pytest, ruff, selenium...)"
	@$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev]"
	@touch $@

install-dev: $(DEV_STAMP)

# The Spark target's packages (pyspark is large); only the Spark targets and `make test` need them.
SPARK_STAMP := $(VENV)/.installed-spark-stamp
$(SPARK_STAMP): $(STAMP)
	@command -v java >/dev/null || { echo "Spark needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[spark]"
	@touch $@

install-spark: $(SPARK_STAMP)

# The semantic layer's command line (dbt-metricflow: `mf`); `make test` installs it, `make run` not.
METRICS_STAMP := $(VENV)/.installed-metrics-stamp
$(METRICS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[metrics]"
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

# Sample CSV -> Parquet (the Spark target reads Parquet), then the whole project on local Spark,
# with the sample's invoices and teams.
spark-build: $(SPARK_STAMP)
	$(BIN)/python scripts/events_to_parquet.py 'data/sample/chat_events*.csv' $(SPARK_EVENTS)
	cd $(KAKAO_SPARK_DIR) && KAKAO_DBT_TARGET=spark $(CURDIR)/$(BIN)/dbt build \
	    --project-dir $(CURDIR) --target-path $(KAKAO_SPARK_DIR)/target --log-path $(KAKAO_SPARK_DIR)/logs \
	    --vars '{chat_events_path: "$(SPARK_EVENTS)/*.parquet", invoices_path: "$(CURDIR)/data/sample/kakao_invoices.csv", consultant_teams_path: "$(CURDIR)/data/sample/consultant_teams.csv"}'

# Writes benchmarks/results.md; data and build files go to benchmarks/data and benchmarks/work.
# BENCH_ARGS="--sizes 100000000 --memory-limit 8GB" for the opt-in 100M run, "--spark" for Spark.
# The dev tools: the event generator shows its progress with tqdm, which comes with them.
bench: $(DEV_STAMP)
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

test-spark: $(DEV_STAMP) $(SPARK_STAMP)
	$(BIN)/python -m pytest -m spark

# The build with one line per stage instead of dbt's log (the log stays in logs/dbt.log): the
# build's summary (rejected rows by reason, months closed), data tests that warned and errors
# are printed; then the fee table, at most 100 columns wide. The unit tests are left to
# `make test` (they do not read the data). EVENTS, INVOICES, TEAMS, FULL_REFRESH as for build.
run: $(STAMP)
	@$(BIN)/python scripts/dbt_build.py --progress build --exclude-resource-type unit_test \
	    $(if $(FULL_REFRESH),--full-refresh) $(BUILD_VARS)
	@echo
	@$(BIN)/python scripts/show_fees.py --brief

# Your files in a throwaway warehouse, in a new temporary folder (kakao-try-...; left there for a
# look, its path printed): closes no month, writes nothing under warehouse/. Prints the progress,
# the fee table, the rejected rows by reason and the `make build` command for the same files.
try: $(if $(EVENTS),$(STAMP),try-usage)
	@$(BIN)/python scripts/try_events.py --events '$(EVENTS)' \
	    $(if $(INVOICES),--invoices '$(INVOICES)') $(if $(TEAMS),--teams '$(TEAMS)')

try-usage:
	@echo "Usage: make try EVENTS='your/files/*.csv' [INVOICES=invoices.csv] [TEAMS=teams.csv]"
	@exit 2

# EVENTS: your chat event files (a path or glob, CSV or Parquet); unset: the sample data.
# INVOICES, TEAMS: your invoice lines and consultants' teams (CSV); unset: the sample's with the
# sample's events, none with yours. FULL_REFRESH=1: rebuild from the files as they are
# (dbt build --full-refresh). dbt's full output, for operators: the scheduled job, with the data
# tests; the unit tests are left to `make test` (their fixtures are their input, not the data).
# scripts/dbt_build.py: stops at once if another process holds the warehouse, and handles
# SIGTERM (a scheduler's stop) like Ctrl-C.
build: $(STAMP)
	$(BIN)/python scripts/dbt_build.py build --exclude-resource-type unit_test \
	    $(if $(FULL_REFRESH),--full-refresh) $(BUILD_VARS)

fees: $(STAMP)
	@$(BIN)/python scripts/show_fees.py --database $(KAKAO_DUCKDB_PATH)

# One HTML statement per channel with usage in MONTH (or CHANNEL's only), to warehouse/statements.
statement: $(STAMP)
	@test -n "$(MONTH)" || { echo "Usage: make statement MONTH=2026-10 [CHANNEL=@bank_cs] [STATEMENT_LANG=en]"; exit 1; }
	@$(BIN)/python scripts/statement.py --database $(KAKAO_DUCKDB_PATH) --month '$(MONTH)' \
	    $(if $(CHANNEL),--channel '$(CHANNEL)') $(if $(STATEMENT_LANG),--lang '$(STATEMENT_LANG)')

# What `make test` needs besides Python: Java 17 (Spark), Chromium and chromedriver (the
# statement's browser test), a Korean font (its screenshot). Run as root, installs the missing
# ones with apt-get; otherwise prints the one command to run (scripts/system_packages.sh).
system-packages:
	@sh scripts/system_packages.sh

check-chromium: system-packages

# Lint and the fixtures' build run side by side (each prints its output when done), then pytest.
test: system-packages $(DEV_STAMP) $(SPARK_STAMP) $(METRICS_STAMP)
	@$(MAKE) --no-print-directory --jobs=2 --output-sync=target lint unit-dbt
	@$(MAKE) --no-print-directory pytest

# integration_tests/ is a project of its own (its package is installed by dbt deps): its SQL is
# linted with plain Jinja.
lint: $(DEV_STAMP)
	$(BIN)/ruff check scripts tests udfs
	$(BIN)/sqlfluff lint --processes 2 models tests/integrity tests/input
	$(BIN)/sqlfluff lint --templater jinja integration_tests/models integration_tests/tests

# The whole project, unit tests included, on the expected-output fixtures (with the invoices and
# teams the tests build them with), in a new fixture warehouse each time: the tables of an
# earlier version of the project would stop its incremental models (on_schema_change: fail).
unit-dbt: $(DEV_STAMP)
	@rm -f $(FIXTURE_DB) $(FIXTURE_DB).wal
	KAKAO_DUCKDB_PATH=$(FIXTURE_DB) KAKAO_PUBLISH_DIR=$(FIXTURE_PUBLISH_DIR) $(BIN)/dbt build \
	    --target-path $(FIXTURE_DBT_DIR)/target --log-path $(FIXTURE_DBT_DIR)/logs \
	    --vars '{chat_events_path: "$(FIXTURE_EVENTS)", invoices_path: "$(FIXTURE_INPUTS)/kakao_invoices.csv", consultant_teams_path: "$(FIXTURE_INPUTS)/consultant_teams.csv"}'

# The project installed as a dbt package by the consumer project in integration_tests/ (its own
# profile, the plugin lines of docs/package.md): dbt deps, then dbt build of the package's models,
# seeds, data and unit tests and the consumer's own model and tests, on the test fixtures, in a
# new warehouse each time. Its files stay in integration_tests/ (dbt_packages, target, logs,
# warehouse with the published marts: git-ignored). make test runs the same build in a temporary folder
# (tests/test_package.py).
integration-tests: $(STAMP)
	cd integration_tests && rm -rf warehouse && DBT_PROFILES_DIR=. ../$(BIN)/dbt deps \
	    && DBT_PROFILES_DIR=. KAKAO_PUBLISH_DIR= ../$(BIN)/dbt build

# One pytest worker per core (the tests build into their own temporary folders); a free worker
# takes over queued tests from a busy one. PYTEST_WORKERS=0 runs them in this process. The 25
# slowest tests are listed before the summary: where the suite's time goes.
PYTEST_WORKERS ?= auto
pytest: system-packages $(DEV_STAMP) $(SPARK_STAMP) $(METRICS_STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=25

# Not the warehouse (KAKAO_DUCKDB_PATH) or its published marts: closed months and fee adjustments
# are history no build can recreate (DECISIONLOG D15). Delete them by hand to start over.
clean:
	rm -rf target logs .pytest_cache .hypothesis .ruff_cache build *.egg-info artifacts $(FIXTURE_DB) $(FIXTURE_DB).wal $(FIXTURE_PUBLISH_DIR) $(FIXTURE_DBT_DIR) \
	    integration_tests/dbt_packages integration_tests/target integration_tests/logs \
	    integration_tests/warehouse integration_tests/package-lock.yml
