#!/usr/bin/env python3
"""Phase 9's load generator: concurrent keep-alive HTTPS clients against one
web host, one endpoint after another, and a report per endpoint.

It reads its settings (target, endpoints, credentials, thresholds) as JSON on
standard input, so no credential ever shows on a command line, and writes
the report as JSON and Markdown to the paths it is given. Standard library
only: it runs with any Python 3.11 on the controller.

    hypoteky-pilot --json report.json --markdown report.md < settings.json

Each client holds one HTTPS connection to the web host's address with the
site's name as SNI and Host, as a browser would after its first request.
Latency is measured from sending a request to reading the whole answer;
opening a client's first connection is not measured, a reconnection (after
nginx closes a kept-alive connection) is. An endpoint fails when its share of
failed requests (non-2xx answers, transport errors) exceeds max_error_rate,
its p95 exceeds max_p95_ms, or its rate stays below its min_rps.
"""

import argparse
import http.client
import json
import math
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

# A run is bounded whatever the settings say: at most this long per endpoint...
MAX_DURATION = 600
# ...and at most this many requests per endpoint.
MAX_REQUESTS = 1_000_000
MAX_CLIENTS = 200


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the site's name as SNI and Host."""

    def __init__(self, domain, address, port, context, timeout):
        super().__init__(domain, port, context=context, timeout=timeout)
        self._address = address
        self._context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Pacer:
    """Spaces requests evenly at most `rate` per second across all clients."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0.0
        self.next_slot = 0.0
        self.lock = threading.Lock()

    def wait(self):
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Tally:
    """What the clients saw for one endpoint (shared, so under a lock)."""

    def __init__(self, max_requests):
        self.lock = threading.Lock()
        self.latencies_ms = []
        self.statuses = Counter()
        self.transport_errors = Counter()
        self.reconnections = 0
        self.max_requests = max_requests

    def count_reconnection(self):
        with self.lock:
            self.reconnections += 1

    def take_ticket(self):
        with self.lock:
            return len(self.latencies_ms) + sum(self.transport_errors.values()) < self.max_requests

    def record(self, latency_ms, status=None, error=None):
        with self.lock:
            if error is None:
                self.latencies_ms.append(latency_ms)
                self.statuses[status] += 1
            else:
                self.transport_errors[error] += 1


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def tls_context(settings):
    if settings.get("verify_tls", True):
        context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
    else:
        # The site's certificate comes from a test CA the controller does not
        # trust (pebble); TLS itself is proven by the default scenario's test_web.py, not here.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def client(settings, endpoint, headers, context, tally, pacer, start_barrier, deadline_box, index):
    paths = endpoint["paths"]
    timeout = settings.get("timeout", 30)
    connection = PinnedHTTPSConnection(
        settings["domain"], settings["address"], settings.get("port", 443), context, timeout
    )
    try:
        connection.connect()
    except OSError as error:
        tally.record(None, error=f"connect: {type(error).__name__}")
    start_barrier.wait()
    deadline = deadline_box[0]
    turn = index
    while time.monotonic() < deadline and tally.take_ticket():
        pacer.wait()
        if time.monotonic() >= deadline:
            break
        # Together the clients go through the paths in order.
        path = paths[turn % len(paths)]
        turn += settings["clients"]
        if connection.sock is None:
            tally.count_reconnection()
        began = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.record(None, error=type(error).__name__)
            connection.close()
            continue
        tally.record((time.perf_counter() - began) * 1000.0, status=response.status)
        if response.will_close:
            connection.close()
    connection.close()


def run_endpoint(settings, endpoint):
    """Load one endpoint with every client for the run's duration."""
    headers = {"Accept-Encoding": "identity", "User-Agent": "hypoteky-pilot"}
    if endpoint["auth"] == "session":
        headers["Cookie"] = f"{settings['session_cookie']}={settings['session']}"
    elif endpoint["auth"] == "token":
        headers["Authorization"] = f"Token {settings['token']}"
    headers["Accept"] = "application/json" if endpoint["auth"] == "token" else "text/html"
    clients = settings["clients"]
    tally = Tally(settings.get("max_requests", MAX_REQUESTS))
    pacer = Pacer(endpoint.get("max_rps") or 0)
    context = tls_context(settings)
    deadline_box = [0.0]

    def start_clock():
        deadline_box[0] = time.monotonic() + settings["duration"]

    # The clock starts when every client holds its connection.
    barrier = threading.Barrier(clients, action=start_clock)
    threads = [
        threading.Thread(
            target=client,
            args=(settings, endpoint, headers, context, tally, pacer, barrier, deadline_box, i),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # From the clock's start to the last answer (the request cap may end it early).
    elapsed = time.monotonic() - (deadline_box[0] - settings["duration"])
    return summarise(endpoint, tally, max(elapsed, 1e-9))


def summarise(endpoint, tally, elapsed):
    latencies = sorted(tally.latencies_ms)
    answered = len(latencies)
    transport = sum(tally.transport_errors.values())
    ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    requests = answered + transport
    errors = requests - ok

    def rounded(value):
        return None if value is None else round(value, 1)

    return {
        "name": endpoint["name"],
        "paths": len(endpoint["paths"]),
        "example_path": endpoint["paths"][0],
        "auth": endpoint["auth"],
        "max_rps": endpoint.get("max_rps") or None,
        "requests": requests,
        "ok": ok,
        "errors": errors,
        "error_rate": round(errors / requests, 6) if requests else 1.0,
        "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
        "transport_errors": dict(tally.transport_errors),
        "reconnections": tally.reconnections,
        "seconds": round(elapsed, 2),
        "rps": round(requests / elapsed, 1),
        "p50_ms": rounded(percentile(latencies, 0.50)),
        "p95_ms": rounded(percentile(latencies, 0.95)),
        "p99_ms": rounded(percentile(latencies, 0.99)),
        "max_ms": rounded(latencies[-1] if latencies else None),
        "mean_ms": rounded(sum(latencies) / answered if answered else None),
    }


def judge(result, thresholds):
    """Why an endpoint fails its thresholds (an empty list: it passes)."""
    name = result["name"]
    failures = []
    if result["requests"] == 0:
        failures.append(f"{name}: no request was answered")
        return failures
    if result["error_rate"] > thresholds["max_error_rate"]:
        failures.append(
            f"{name}: {result['errors']} of {result['requests']} requests failed "
            f"(error rate {result['error_rate']:.4f} > {thresholds['max_error_rate']}; "
            f"statuses {result['statuses']}, transport errors {result['transport_errors']})"
        )
    if result["p95_ms"] is None or result["p95_ms"] > thresholds["max_p95_ms"]:
        failures.append(f"{name}: p95 {result['p95_ms']} ms > {thresholds['max_p95_ms']} ms")
    floor = thresholds.get("min_rps", {}).get(name)
    if floor is not None and result["rps"] < floor:
        failures.append(f"{name}: {result['rps']} requests/s < {floor} requests/s")
    return failures


def load_average():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return None


def validate(settings):
    problems = []
    for key in ("address", "domain", "clients", "duration", "endpoints", "thresholds"):
        if key not in settings:
            problems.append(f"'{key}' is missing")
    if problems:
        return problems
    if not 1 <= settings["clients"] <= MAX_CLIENTS:
        problems.append(f"clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < settings["duration"] <= MAX_DURATION:
        problems.append(f"duration must be between 1 and {MAX_DURATION} seconds")
    for endpoint in settings["endpoints"]:
        if not endpoint.get("paths"):
            problems.append(f"endpoint {endpoint.get('name')!r} has no paths")
        if endpoint.get("auth") == "session" and not settings.get("session"):
            problems.append(f"endpoint {endpoint.get('name')!r} needs a session")
        if endpoint.get("auth") == "token" and not settings.get("token"):
            problems.append(f"endpoint {endpoint.get('name')!r} needs a token")
    return problems


def run(settings):
    started = datetime.now(UTC)
    load_before = load_average()
    results = [run_endpoint(settings, endpoint) for endpoint in settings["endpoints"]]
    failures = [reason for result in results for reason in judge(result, settings["thresholds"])]
    return {
        "result": "fail" if failures else "pass",
        "failures": failures,
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "target": {"address": settings["address"], "domain": settings["domain"]},
        "clients": settings["clients"],
        "duration_per_endpoint": settings["duration"],
        "thresholds": settings["thresholds"],
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "context": settings.get("context", {}),
        "endpoints": results,
    }


def markdown(report):
    def cell(value):
        return "-" if value is None else str(value)

    context = report["context"]
    lines = [
        f"# Pilot load test: {report['result'].upper()}",
        "",
        f"- target: https://{report['target']['domain']}/ at {report['target']['address']}"
        + (f" (web host {context['web_host']})" if context.get("web_host") else ""),
        f"- {report['started_at']} .. {report['finished_at']}, {report['clients']} clients, "
        f"{report['duration_per_endpoint']} s per endpoint",
    ]
    for key, label in (
        ("release", "release"),
        ("environment", "environment"),
        ("cases", "cases in the database"),
        ("user", "logged in as"),
    ):
        if context.get(key) is not None:
            lines.append(f"- {label}: {context[key]}")
    lines += [
        f"- load average (1, 5, 15 min) before: {' '.join(report['load_average_before'] or [])}, "
        f"after: {' '.join(report['load_average_after'] or [])}",
        f"- thresholds: error rate <= {report['thresholds']['max_error_rate']}, "
        f"p95 <= {report['thresholds']['max_p95_ms']} ms, minimum requests/s "
        f"{json.dumps(report['thresholds'].get('min_rps', {}))}",
        "",
        "| endpoint | path | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors | statuses |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["endpoints"]:
        path = r["example_path"] + (f" (+{r['paths'] - 1} more)" if r["paths"] > 1 else "")
        paced = f" (paced to {r['max_rps']}/s)" if r["max_rps"] else ""
        statuses = ", ".join(f"{s}: {n}" for s, n in r["statuses"].items())
        if r["transport_errors"]:
            statuses += "; " + ", ".join(f"{k}: {n}" for k, n in r["transport_errors"].items())
        lines.append(
            f"| {r['name']} | `{path}` | {r['requests']} | {r['rps']}{paced} | {cell(r['p50_ms'])} "
            f"| {cell(r['p95_ms'])} | {cell(r['p99_ms'])} | {cell(r['max_ms'])} | {r['errors']} "
            f"| {statuses} |"
        )
    if report["failures"]:
        lines += ["", "Failed:", *[f"- {reason}" for reason in report["failures"]]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, required=True, help="where to write the JSON report")
    parser.add_argument("--markdown", type=Path, required=True, help="where to write the Markdown")
    args = parser.parse_args(argv)
    try:
        settings = json.load(sys.stdin)
    except json.JSONDecodeError as error:
        parser.exit(2, f"hypoteky-pilot: the settings on stdin are not JSON: {error}\n")
    problems = validate(settings)
    if problems:
        parser.exit(2, "hypoteky-pilot: " + "; ".join(problems) + "\n")
    report = run(settings)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    args.markdown.write_text(text)
    sys.stdout.write(text)
    # The thresholds decide the phase (Ansible reads the report); the tool
    # itself fails only when it could not measure.
    return 0


if __name__ == "__main__":
    sys.exit(main())
