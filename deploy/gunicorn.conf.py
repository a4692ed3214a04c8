"""gunicorn settings for teamsite (`gunicorn -c deploy/gunicorn.conf.py teamsite.wsgi`).

Every value can be overridden from the environment, so one file serves a laptop
check (`make prod`) and a machine behind nginx.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# processes x threads bound the concurrent requests;
# two per core plus one is gunicorn's own advice for processes
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"  # threads keep training clients' connections alive between batches
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5  # training clients reuse one connection for their batches
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then: memory stays flat over weeks
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
