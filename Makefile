# Humans and CI run the same commands. Each target sets everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STANDARDS ?= $(abspath ../shared/standards)

.PHONY: run test lint typecheck unit setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) system-deps

# xmlsec1 is Debian's reference XML-DSig implementation, used by the interoperability tests.
system-deps:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null; \
	  else echo "note: xmlsec1 not installed; interoperability tests will be skipped"; fi; }

run: setup
	$(BIN)/singlewindow up --dir .federation

lint: $(STAMP)
	$(BIN)/ruff check singlewindow tests
	$(BIN)/ruff format --check singlewindow tests

typecheck: $(STAMP)
	$(BIN)/mypy

test: setup lint typecheck
	SINGLEWINDOW_STANDARDS_DIR=$(STANDARDS) $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .federation .pytest_cache .mypy_cache .ruff_cache
