"""A bounded load generator for the app's unix socket, run ON the test host
(python3 only, no dependencies): CLIENTS threads send GET requests one after
the other until STOP_FILE appears, MAX_SECONDS pass or MAX_REQUESTS are sent,
then write counts as JSON. A request fails on any exception (refused, reset,
timeout) or a 5xx answer."""

import http.client
import json
import socket
import sys
import threading
import time
from pathlib import Path

SOCKET, STOP_FILE, OUT, HOST = sys.argv[1:5]
CLIENTS, MAX_SECONDS, MAX_REQUESTS = int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
# A probe that reads the database and a page through Django's whole stack.
PATHS = ["/readyz", "/login/"]
HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https", "Connection": "close"}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


lock = threading.Lock()
counts = {"requests": 0, "ok": 0, "status_5xx": 0, "errors": 0, "statuses": {}, "error_kinds": {}, "max_ms": 0.0}
deadline = time.monotonic() + MAX_SECONDS
stop = Path(STOP_FILE)


def client(number):
    sent = 0
    while time.monotonic() < deadline and not stop.exists():
        with lock:
            if counts["requests"] >= MAX_REQUESTS:
                return
            counts["requests"] += 1
        path = PATHS[(number + sent) % len(PATHS)]
        sent += 1
        started = time.monotonic()
        try:
            conn = UnixConnection(SOCKET)
            conn.request("GET", path, headers=HEADERS)
            status = conn.getresponse().status
            conn.close()
        except Exception as exc:  # every failure counts, whatever its kind
            with lock:
                counts["errors"] += 1
                kind = type(exc).__name__
                counts["error_kinds"][kind] = counts["error_kinds"].get(kind, 0) + 1
            continue
        elapsed = (time.monotonic() - started) * 1000
        with lock:
            counts["max_ms"] = max(counts["max_ms"], round(elapsed, 1))
            counts["statuses"][str(status)] = counts["statuses"].get(str(status), 0) + 1
            if status >= 500:
                counts["status_5xx"] += 1
            else:
                counts["ok"] += 1


threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
counts["failed"] = counts["errors"] + counts["status_5xx"]
Path(OUT).write_text(json.dumps(counts))
