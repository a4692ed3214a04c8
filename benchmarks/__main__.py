"""`make bench`: measure teamsite on this machine and print one table.

Runs against a fresh SQLite database in a temporary folder (or DATABASE_URL when
set), through the full Django stack (middleware, auth, views) with Django's test
client, so the figures are server time without network. Each benchmark module
in this package adds rows; targets live here, never in timed tests.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    workdir = Path(tempfile.mkdtemp(prefix="teamsite-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("MEDIA_ROOT", str(workdir / "media"))
    os.environ["DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teamsite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    return workdir


def median_ms(fn, *, repeat=200, warmup=20):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.95)] * 1000


def main():
    setup_django()
    from benchmarks import bench_accounts

    rows = []
    for module in (bench_accounts,):
        rows.extend(module.run(median_ms))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'benchmark'.ljust(width)}  {'median':>10}  {'p95':>10}  target")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 10}  ------")
    for name, median, p95, target in rows:
        print(f"{name.ljust(width)}  {median:>8.2f}ms  {p95:>8.2f}ms  {target}")
    print()


if __name__ == "__main__":
    main()
