# teamsite: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker prod test test-fast test-client test-browser bench load install migrate demo clean

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
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py demo --if-empty --url http://$(HOST):$(PORT)/

# The web server, the background worker (mail, alerts, webhooks, exports, the
# periodic schedule) and `demo_live` (keeps the demo's running runs alive) in one
# command; Ctrl-C stops them all. Emails link to SITE_URL (this address unless set).
run: demo
	@export SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; \
	trap 'kill $$worker $$live 2>/dev/null; wait $$worker $$live 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker & worker=$$!; \
	$(PY) manage.py demo_live & live=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: migrate
	$(PY) manage.py db_worker

# The production profile (docs/deploy.md): DEBUG=0, gunicorn with WEB_CONCURRENCY workers
# (deploy/gunicorn.conf.py) and the task worker, on DATABASE_URL / REDIS_URL / AWS_* from
# the environment. `check --deploy` must be clean first. With REDIS_URL set the RQ worker
# and the schedule serve instead of db_worker.
WEB_CONCURRENCY ?= 4
prod: install
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=0 $(PY) manage.py check --deploy --fail-level WARNING
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	if [ -n "$$REDIS_URL" ] && [ "$${TASKS_BACKEND:-rq}" = rq ]; then \
	  (DEBUG=0 $(PY) manage.py rqworker default & DEBUG=0 $(PY) manage.py schedule; wait) & worker=$$!; \
	else DEBUG=0 $(PY) manage.py db_worker & worker=$$!; fi; \
	DEBUG=0 BIND=$(HOST):$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(PY) -m gunicorn -c deploy/gunicorn.conf.py teamsite.wsgi

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
