# Idéflödet – the two commands: `make run` (demo on SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# pytest-xdist workers for `make test` (each has its own PostgreSQL database beside the given one).
TEST_WORKERS ?= 2
# Links in emails point at the local server unless told otherwise.
APP_BASE_URL ?= http://127.0.0.1:$(PORT)
export APP_BASE_URL
FLASK  := $(BIN)/flask --app workflow
TRANSLATIONS := workflow/translations

.PHONY: run serve test bench install install-test translations extract-messages chromium check-processes clean

# The scheduler (reminders, digests, email) runs as its own process beside the web server.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
		$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production-style: gunicorn with WEB_CONCURRENCY workers on HOST:PORT (default 127.0.0.1:8000)
# and DATABASE_URL, after migrating; settings in config/gunicorn.conf.py, see docs/deploy.md.
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config config/gunicorn.conf.py

test: install-test chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Benchmarks (bench/README.md): a report, never part of the tests. BENCH_DATABASE_URL for
# PostgreSQL; e.g. make bench BENCH_ARGS="--cases 100000 --json bench.json".
bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Compiled catalogues (.mo) are build output; the .po files are the source.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --directory $(TRANSLATIONS) --statistics 2>&1 | tail -n 1

# After changing user-facing texts: extract them and merge into the English catalogue.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract --mapping babel.cfg --keywords N_ --keywords _l --keywords lazy_gettext \
		--no-location --sort-output --output-file $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --input-file $(TRANSLATIONS)/messages.pot --output-dir $(TRANSLATIONS) \
		--no-wrap --ignore-obsolete

# Debian's Chromium drives the browser tests (Playwright's own download does not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

check-processes: install
	$(FLASK) check-processes

clean:
	rm -rf $(VENV) instance .pytest_cache
