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
    # the benchmarks measure speed, not abuse limits: one key sends thousands of requests a minute
    os.environ.setdefault("RATE_LIMIT_PER_KEY", "0")
    os.environ.setdefault("RATE_LIMIT_PER_IP", "0")
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
    import logging

    logging.disable(logging.WARNING)  # the 401s measured on purpose are not news
    from benchmarks import bench_accounts, bench_background, bench_client, bench_experiments, bench_mlflow, bench_profile, bench_registry, bench_scale, bench_workspace

    rows = []
    modules = (bench_accounts, bench_profile, bench_experiments, bench_registry, bench_background, bench_workspace, bench_mlflow, bench_client, bench_scale)
    # `python -m benchmarks workspace` (or BENCH_ONLY=registry) runs one module alone
    wanted = sys.argv[1:] or ([os.environ["BENCH_ONLY"]] if os.environ.get("BENCH_ONLY") else [])
    for module in modules:
        if wanted and module.__name__.rsplit("_", 1)[-1] not in wanted:
            continue
        for name, first, second, target in module.run(median_ms):
            if isinstance(first, float):
                first, second = f"{first:.2f} ms median", f"p95 {second:.2f} ms"
            rows.append((name, first, second, target))
            print(f"  measured: {name}", file=sys.stderr, flush=True)
    widths = [max(len(str(row[i])) for row in rows + [("benchmark", "result", "detail", "target")]) for i in range(4)]
    header = ("benchmark", "result", "detail", "target")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)))
    print()


if __name__ == "__main__":
    main()
