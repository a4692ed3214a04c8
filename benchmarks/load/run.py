"""`make load`: the load mix against the production profile, measured from outside.

Starts LOAD_WEB_INSTANCES gunicorn instances (default 2; WEB_CONCURRENCY workers
each) on PostgreSQL and Redis when they answer on 127.0.0.1 (else SQLite and local
memory), loads the demo, runs locust headless for LOAD_SECONDS (default 60) with
LOAD_USERS simulated users, and prints requests/s, p50/p99 per page type, points
ingested per second and errors.
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(workdir):
    env = {
        **os.environ,
        "DEBUG": "0", "SECRET_KEY": "load-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0",
        "MEDIA_ROOT": str(workdir / "media"), "LOG_LEVEL": "WARNING",
        # the mix is one key for every job and one address for every person: measure speed, not the limits
        "RATE_LIMIT_PER_KEY": "0", "RATE_LIMIT_PER_IP": "0",
        "DJANGO_SETTINGS_MODULE": "teamsite.settings",
    }
    if "DATABASE_URL" not in os.environ and _answers(5432) and os.environ.get("LOAD_DB") != "sqlite":
        import psycopg

        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS teamsite_load WITH (FORCE)")
            conn.execute("CREATE DATABASE teamsite_load")
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/teamsite_load"
        env.setdefault("DB_POOL", "1")
    elif "DATABASE_URL" not in os.environ:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'load.sqlite3'}"
    if "REDIS_URL" not in os.environ and _answers(6379) and os.environ.get("LOAD_DB") != "sqlite":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env


def _manage(env, *args, capture=False):
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True).stdout


def main():
    workdir = Path(tempfile.mkdtemp(prefix="teamsite-load-"))
    env = _environment(workdir)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    _manage(env, "demo", "--if-empty")
    key = _manage(env, "create_api_key", "max", "--name", "load", capture=True).strip()
    facts = json.loads(_manage(env, "shell", "-c", (
        "import json; from experiments.models import Run; from reports.models import Report;"
        "runs = list(Run.objects.filter(project__team__slug='demo-lab', project__name='mnist').values_list('run_id', flat=True)[:6]);"
        "report = Report.objects.filter(team__slug='demo-lab').exclude(visibility='draft').first();"
        "print(json.dumps({'runs': runs, 'report': report.pk if report else ''}))"), capture=True).strip().splitlines()[-1])
    instances = int(os.environ.get("LOAD_WEB_INSTANCES", "2"))
    ports = [_free_port() for _ in range(instances)]
    servers = [
        subprocess.Popen([PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "teamsite.wsgi"], cwd=ROOT,
                         env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2")},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.time() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)
        seconds = int(os.environ.get("LOAD_SECONDS", "60"))
        users = os.environ.get("LOAD_USERS", "24")
        points_file = workdir / "points.json"
        load_env = {
            **env, "LOAD_HOSTS": ",".join(f"http://127.0.0.1:{port}" for port in ports), "LOAD_API_KEY": key,
            "LOAD_RUNS": ",".join(facts["runs"]), "LOAD_REPORT": str(facts["report"]), "LOAD_POINTS_FILE": str(points_file),
        }
        subprocess.run(
            [PY, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", users, "-r", "8",
             "-t", f"{seconds}s", "--csv", str(workdir / "stats"), "--only-summary", "--host", load_env["LOAD_HOSTS"].split(",")[0]],
            cwd=ROOT, env=load_env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    _print(workdir, env, instances, points_file)


def _print(workdir, env, instances, points_file):
    rows = list(csv.DictReader(open(workdir / "stats_stats.csv")))
    failures = list(csv.DictReader(open(workdir / "stats_failures.csv")))
    points = json.loads(points_file.read_text()) if points_file.exists() else {"points": 0, "seconds": 1}
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"\nload mix: {instances} gunicorn instance(s) x {os.environ.get('WEB_CONCURRENCY', '2')} workers, {database}, "
          f"{'Redis' if env.get('REDIS_URL') else 'local-memory cache'}, {os.environ.get('LOAD_USERS', '24')} users, {os.environ.get('LOAD_SECONDS', '60')} s")
    print(f"{'request':38} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fails':>6}")
    for row in rows:
        print(f"{row['Name'][:38]:38} {row['Request Count']:>7} {float(row['Requests/s']):7.1f} {row['50%']:>7} {row['99%']:>7} {row['Failure Count']:>6}")
    server_errors = sum(int(f["Occurrences"]) for f in failures if "50" in f["Error"])
    print(f"points ingested: {points['points']:,} ({points['points'] / points['seconds']:,.0f}/s); 5xx answers: {server_errors}")


if __name__ == "__main__":
    main()
