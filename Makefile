# The two commands: `make demo` and `make test`. Both create or refresh .venv from the pinned files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export CANNASYNC_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: venv demo test lint typecheck contracts pytest chromium bench fuzz clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/cannasync demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# Browser tests drive Debian's Chromium through Playwright, in a pytest run of their own (DESIGN.md). Two checkouts'
# make test on one machine install it one after the other (flock; the second finds it there), and apt waits for the
# package lock rather than failing when something else (unattended upgrades) is installing at that moment.
# Tests run in one worker more than there are cores, at most five (each worker has its own PostgreSQL schema, ports
# and Redis namespace): much of a test is waiting on loopback and on the hub's workers, so a worker per core left
# the cores idle about a third of the run. The tests that start processes of their own share one worker
# (xdist_group "processes").
PYTEST_WORKERS ?= --numprocesses=$(shell n=$$(( $$(nproc) + 1 )); [ $$n -gt 5 ] && n=5; echo $$n) --dist loadgroup

pytest: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --durations=20
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --durations=10 -m browser tests/browser

chromium:
	@test -x /usr/bin/chromium || flock /tmp/cannasync-chromium.lock sh -c 'test -x /usr/bin/chromium || { \
		echo "installing Debian'"'"'s chromium for the browser tests"; \
		$(SUDO) apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive \
		$(SUDO) apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null; }'

test: lint typecheck contracts pytest

# Every bench at its full (default) size: minutes, so never in CI; `make test` runs each at a tiny size instead
# (tests/test_benches.py). One of them: make bench BENCHES=bench/menu_sync.py ARGS="--vendor flowhub"
BENCHES ?= $(sort $(wildcard bench/[!_]*.py))

bench: $(STAMP)
	@set -e; for bench in $(BENCHES); do echo "== $$bench $(ARGS)" >&2; $(BIN)/python $$bench --json $(ARGS); done

clean:
	rm -rf $(VENV) .cannasync test-output

# The API fuzzed against its own OpenAPI document with many more examples and a fresh seed than make test uses
# (tests/api/test_schemathesis.py): a few minutes. make fuzz EXAMPLES=200
EXAMPLES ?= 50
fuzz: $(STAMP)
	CANNASYNC_FUZZ_EXAMPLES=$(EXAMPLES) CANNASYNC_FUZZ_SEED= $(BIN)/python -m pytest -p no:cacheprovider -q \
		tests/api/test_schemathesis.py -k fuzzing -o timeout=0
