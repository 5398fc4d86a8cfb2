"""Benchmark of part 2's targets, on a throwaway MariaDB (run via `make` env).

1. /api/klienti/ list p95 with 10,000 cases and 10 concurrent token clients,
   through gunicorn with the production settings on 127.0.0.1 (target <= 150 ms).
2. send_deadline_notifications for 10,000 cases / 50 advisers to a local
   SMTP sink on 127.0.0.1 (target <= 30 s).
3. One GDPR export (target <= 1 s).

Usage: python tools/throwaway_mariadb.py -- .venv/bin/python bench/bench_ops.py
Only 127.0.0.1 is contacted; every loop is bounded.
"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(APP_DIR))
sys.path.insert(0, str(APP_DIR / "bench"))

from bench import HOST, PASSWORD, free_port, manage, percentile, production_env  # noqa: E402


def api_get(port, token, path):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    start = time.perf_counter()
    connection.request(
        "GET",
        path,
        headers={"Authorization": f"Token {token}", "X-Forwarded-Proto": "https", "Host": HOST},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, (time.perf_counter() - start) * 1000


def drive(port, token, paths, clients, total):
    timings, errors, lock = [], [], threading.Lock()

    def worker(offset):
        for n in range(offset, total, clients):
            status, ms = api_get(port, token, paths[n % len(paths)])
            with lock:
                (timings if status == 200 else errors).append(ms if status == 200 else status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return timings, errors, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--advisers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not os.environ.get("HYPOTEKY_DB_HOST"):
        raise SystemExit("HYPOTEKY_DB_HOST is not set; run through tools/throwaway_mariadb.py")

    env = production_env(tempfile.mkdtemp(prefix="hyp-bench-static-"))
    env["HYPOTEKY_API_THROTTLE_USER"] = "1000000/minute"
    os.environ.update({k: v for k, v in env.items() if k.startswith("HYPOTEKY_")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "hypoteky.settings"
    print(f"Seeding {args.cases} cases for {args.advisers} advisers...", flush=True)
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo_data", "--cases", str(args.cases), "--advisers", str(args.advisers),
           f"--password={PASSWORD}")  # fmt: skip
    token = (
        subprocess.run(
            [sys.executable, "manage.py", "create_api_token", "manazer", "--name", "bench"],
            cwd=APP_DIR, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip

    port = free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hypoteky.wsgi:application", "--bind",
         f"{HOST}:{port}", "--workers", str(args.workers), "--log-level", "warning"],
        cwd=APP_DIR, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api_get(port, token, "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        paths = [f"/api/klienti/?page={n}" for n in range(1, 400, 7)] + [
            "/api/klienti/?status=open&ordering=current_deadline",
            "/api/klienti/?overdue=true",
            "/api/klienti/?bank=kb&page=3",
        ]
        drive(port, token, paths, args.clients, 50)  # warm-up
        timings, errors, elapsed = drive(port, token, paths, args.clients, args.requests)
        print(
            f"API list: {len(timings)} requests, {args.clients} clients: "
            f"p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
            f"{len(timings) / elapsed:.0f} req/s, errors {len(errors)}  (target p95 <= 150 ms)"
        )
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.utils import timezone

    from klienti import gdpr, notifications
    from klienti.models import Klient

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Sink.count += 1
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Sink(), hostname=HOST, port=smtp_port)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, smtp_port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        day = timezone.localdate() + timedelta(days=30)
        started = time.perf_counter()
        run = notifications.send_deadline_notifications(day, 3)
        took = time.perf_counter() - started
        print(
            f"send_deadline_notifications: {len(run.sent)} digests sent "
            f"({Sink.count} received, {len(run.failed)} failed) in {took:.1f} s (target <= 30 s)"
        )
    finally:
        controller.stop()

    klient = Klient.objects.order_by("pk").first()
    started = time.perf_counter()
    _name, content = gdpr.export_case(None, klient)
    took = time.perf_counter() - started
    print(f"GDPR export: one case, {len(content)} bytes in {took * 1000:.0f} ms (target <= 1 s)")


if __name__ == "__main__":
    main()
