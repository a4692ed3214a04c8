# teamsite: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast test-client test-browser bench load install migrate demo clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "teamsite needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Two distributions: the client training scripts install (clients/python, standard
# library only) and the server, whose tests drive that client.
$(VENV)/.installed: pyproject.toml clients/python/pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ./clients/python
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo --if-empty --url http://$(HOST):$(PORT)/

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite, browser tests included (they need /usr/bin/chromium), then
# the client's own tests (they need no Django).
test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) -m pytest clients/python/tests $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest clients/python/tests $(PYTEST_ARGS)

test-client: install
	$(PY) -m pytest clients/python/tests $(PYTEST_ARGS)

bench: install
	$(PY) -m benchmarks

# The load mix (locust, headless, loopback) against gunicorn on PostgreSQL + Redis when they answer.
load: install
	$(PY) -m pip install --quiet "locust>=2.30"
	$(PY) benchmarks/load/run.py

clean:
	rm -rf $(VENV) .pytest_cache staticfiles
