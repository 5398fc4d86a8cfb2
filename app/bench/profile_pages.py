#!/usr/bin/env python3
"""CPU time per request of the list, detail and dashboard pages, in-process.

Wall-clock latency on a shared machine is noise; the CPU a request costs is
not. This renders each page N times through Django's full request handling
(middleware, session, templates) with the settings in DJANGO_SETTINGS_MODULE,
as the manager the benchmark logs in as, against an already seeded database
(`bench.py` seeds one; or `manage.py seed_demo_data`), and prints the CPU
milliseconds per request. With --profile PAGE it prints where that page's time
goes (cProfile, sorted by cumulative time).

Usage: python bench/profile_pages.py [--requests N] [--profile detail]
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(APP_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypoteky.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--user", default="manazer")
    parser.add_argument("--profile", choices=["list", "detail", "dashboard"])
    parser.add_argument("--top", type=int, default=40, help="rows of the profile to print")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from klienti.models import Klient

    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=args.user))
    ids = list(Klient.objects.order_by("-opened_on", "-id").values_list("pk", flat=True)[:100])
    pages = {
        "list": [f"/klienti/?page={n}" for n in range(1, 400, 7)]
        + ["/klienti/?status=open&sort=current_deadline", "/klienti/?overdue=on"],
        "detail": [f"/klienti/{pk}/" for pk in ids],
        "dashboard": ["/prehled/"],
    }

    def run(paths, count):
        for i in range(count):
            response = client.get(paths[i % len(paths)])
            if response.status_code != 200:
                raise SystemExit(f"{paths[i % len(paths)]}: HTTP {response.status_code}")

    for name, paths in pages.items():
        if args.profile and name != args.profile:
            continue
        run(paths, 20)  # warm-up: imports, template compilation, connection
        started = time.process_time()
        wall = time.perf_counter()
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run, paths, args.requests)
        else:
            run(paths, args.requests)
        cpu_ms = (time.process_time() - started) * 1000 / args.requests
        wall_ms = (time.perf_counter() - wall) * 1000 / args.requests
        print(f"{name:<10} {cpu_ms:6.2f} ms CPU/request  ({wall_ms:.2f} ms wall, incl. database)")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
