# Humans and CI run the same commands. Each target sets everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STANDARDS ?= $(abspath ../shared/standards)

.PHONY: run standards test lint typecheck setup system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) system-deps

# Debian packages the tests use: xmlsec1 (reference XML-DSig implementation, interoperability
# tests) and chromium (officials' page browser tests). Installed when missing and we are root.
system-deps:
	@missing=""; \
	command -v xmlsec1 >/dev/null 2>&1 || missing="$$missing xmlsec1"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing$$missing; the tests that need them will be skipped"; fi; \
	fi

# Fixed ports (hub 8700, nodes 8701…) so printed links and QR codes survive a restart: BASE_PORT=9700 make run
BASE_PORT ?= 8700

# `make run` refuses to start (before installing anything) when the official XSDs are not there
standards:
	@ls "$(STANDARDS)"/aladi-cod/cod_ver_*.xsd >/dev/null 2>&1 || { \
	  echo "error config.schemas_missing no official ALADI XSD (cod_ver_*.xsd) in $(STANDARDS)/aladi-cod:" \
	    "put the standards folder there, or run: make run STANDARDS=/path/to/standards" >&2; exit 2; }

run: standards $(STAMP)
	SINGLEWINDOW_SCHEMA_DIRS=$(STANDARDS)/aladi-cod $(BIN)/singlewindow up --dir .federation --base-port $(BASE_PORT)

lint: $(STAMP)
	$(BIN)/ruff check singlewindow tests
	$(BIN)/ruff format --check singlewindow tests

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs in parallel (pytest-xdist), one worker per CPU; each test file stays on one worker
# so that module-scoped federations are built once. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: setup lint typecheck
	SINGLEWINDOW_STANDARDS_DIR=$(STANDARDS) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .federation .pytest_cache .mypy_cache .ruff_cache
