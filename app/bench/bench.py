#!/usr/bin/env python3
"""Benchmark the list, detail and dashboard pages with 10,000 cases.

Runs against the database in HYPOTEKY_DB_* (`make bench` starts a throwaway
MariaDB), seeds it, starts gunicorn with the production settings on a free
loopback port, drives N concurrent clients for a bounded number of requests,
prints p50/p95 latency, requests/s, the workers' resident memory and the CPU
time per request of the app, the database and the load generator, then stops
gunicorn. Only 127.0.0.1 is ever contacted.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

APP_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = secrets.token_urlsafe(16)  # may start with "-": passed as --password=...
TARGETS = {"list": (100, 150), "detail": (50, None), "dashboard": (150, None)}  # p95 ms, req/s


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def production_env(static_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="hypoteky.settings",
        HYPOTEKY_SECRET_KEY=secrets.token_urlsafe(50),
        HYPOTEKY_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        HYPOTEKY_BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        HYPOTEKY_ALLOWED_HOSTS=HOST,
        HYPOTEKY_STATIC_ROOT=static_root,
        HYPOTEKY_LOG_LEVEL="WARNING",
    )
    return env


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=APP_DIR, env=env, check=True)


class Session:
    """One logged-in browser: cookies kept by hand, HTTPS as nginx would report it."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {
            "X-Forwarded-Proto": "https",
            "Host": HOST,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{HOST}/login/"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data

    def login(self, username):
        self.request("GET", "/login/")
        body = (
            f"csrfmiddlewaretoken={self.cookies['csrftoken']}&username={username}"
            f"&password={PASSWORD}&otp_token="
        )
        status, _ = self.request("POST", "/login/", body)
        if status != 302:
            raise SystemExit(f"login of {username} failed with HTTP {status}")


def drive(sessions, paths, total):
    """`total` requests spread over one thread per session; returns latencies (s)."""
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker(session, offset):
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            path = paths[(i + offset) % len(paths)]
            started = time.perf_counter()
            status, _ = session.request("GET", path)
            elapsed = time.perf_counter() - started
            with lock:
                (latencies if status == 200 else errors).append(
                    elapsed if status == 200 else status
                )

    threads = [threading.Thread(target=worker, args=(s, n * 7)) for n, s in enumerate(sessions)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def worker_pids(master_pid) -> list[int]:
    return [
        int(pid)
        for pid in subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True
        ).stdout.split()
    ]


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        # The command name (field 2) may contain spaces; fields after it are fixed.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def database_pids() -> list[int]:
    """The throwaway MariaDB's server (its pid file sits beside its socket), so
    the report can say what the database costs; none for a server elsewhere."""
    pid_file = Path(os.environ["HYPOTEKY_DB_HOST"]).parent / "mariadbd.pid"
    try:
        return [int(pid_file.read_text())]
    except (OSError, ValueError):
        return []


def worker_rss_mb(master_pid) -> list[float]:
    children = subprocess.run(
        ["ps", "-o", "pid=,rss=", "--ppid", str(master_pid)], capture_output=True, text=True
    ).stdout.split()
    return [int(children[i + 1]) / 1024 for i in range(0, len(children), 2)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--advisers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000, help="per page type")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default as in production: 2 x CPUs + 1)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not os.environ.get("HYPOTEKY_DB_HOST"):
        raise SystemExit("HYPOTEKY_DB_HOST is not set; run through `make bench`.")

    # A SIGTERM must still run the `finally` below that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    static_root = tempfile.mkdtemp(prefix="hyp-bench-static-")
    env = production_env(static_root)
    print(f"Seeding {args.cases} cases...", flush=True)
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo_data", "--cases", str(args.cases), "--advisers", str(args.advisers),
           f"--password={PASSWORD}")  # fmt: skip

    port = free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hypoteky.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=APP_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                Session(port).request("GET", "/login/")
                break
            except OSError:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)

        manager = [Session(port) for _ in range(args.clients)]
        for session in manager:
            session.login("manazer")
        _, page = manager[0].request("GET", "/klienti/?sort=-opened_on")
        ids = sorted({int(i) for i in re.findall(rb"/klienti/(\d+)/", page)})
        status, last = manager[0].request("GET", "/klienti/?page=400")
        ids += [int(i) for i in re.findall(rb"/klienti/(\d+)/", last)]
        pages = {
            "list": [f"/klienti/?page={n}" for n in range(1, 400, 7)]
            + ["/klienti/?status=open&sort=current_deadline", "/klienti/?overdue=on"],
            "detail": [f"/klienti/{i}/" for i in ids],
            "dashboard": ["/prehled/"],
        }
        results = {}
        workers = worker_pids(gunicorn.pid)
        database = database_pids()
        for name, paths in pages.items():
            drive(manager, paths, 50)  # warm-up
            cpu_before = cpu_seconds(workers)
            db_before = cpu_seconds(database)
            client_before = time.process_time()
            latencies, errors, elapsed = drive(manager, paths, args.requests)
            cpu = cpu_seconds(workers) - cpu_before
            db_cpu = cpu_seconds(database) - db_before
            client_cpu = time.process_time() - client_before
            if errors:
                raise SystemExit(f"{name}: {len(errors)} failed requests, e.g. HTTP {errors[0]}")
            results[name] = {
                "requests": len(latencies),
                "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
                "req_per_s": round(len(latencies) / elapsed, 1),
                # What load on a shared machine barely changes: the app's own cost.
                "worker_cpu_ms": round(cpu * 1000 / len(latencies), 2),
                "database_cpu_ms": round(db_cpu * 1000 / len(latencies), 2),
                "load_generator_cpu_ms": round(client_cpu * 1000 / len(latencies), 2),
            }
        rss = worker_rss_mb(gunicorn.pid)
        results["gunicorn_worker_rss_mb"] = [round(r, 1) for r in rss]
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)

    print(
        f"\n{args.cases} cases, {args.clients} concurrent clients, {args.workers} gunicorn workers"
    )
    print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}  target")
    for name, (p95_target, rps_target) in TARGETS.items():
        r = results[name]
        target = f"p95 <= {p95_target} ms" + (f", >= {rps_target} req/s" if rps_target else "")
        ok = r["p95_ms"] <= p95_target and (rps_target is None or r["req_per_s"] >= rps_target)
        print(f"{name:<10} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['req_per_s']:>8}  {target} "
              f"{'OK' if ok else 'MISSED'}")  # fmt: skip
    # Two cores serve the app, the database and the load generator alike.
    print(f"\nCPU ms per request: {'app':>6} {'database':>9} {'load generator':>15}")
    for name in TARGETS:
        r = results[name]
        print(f"{name:<19} {r['worker_cpu_ms']:>6} {r['database_cpu_ms']:>9} "
              f"{r['load_generator_cpu_ms']:>15}")  # fmt: skip
    print(f"gunicorn worker RSS (MB): {results['gunicorn_worker_rss_mb']} (target <= 150)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
