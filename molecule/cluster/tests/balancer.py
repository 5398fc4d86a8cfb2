"""HTTPS to the balancer from the controller, as a client on the network
sees it: the balancer's address, the site's name as SNI and Host. The
certificate is pebble's (tests/test_web.py in the default scenario checks it);
here only the answers count. `Load` keeps CLIENTS threads sending requests
one after the other until it is stopped; a request fails on any exception
(refused, reset, timeout) or a 5xx answer."""

import http.client
import socket
import ssl
import threading
import time

CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE


class SiteConnection(http.client.HTTPSConnection):
    def __init__(self, ip, domain, timeout=30):
        super().__init__(domain, 443, context=CONTEXT, timeout=timeout)
        self.ip = ip

    def connect(self):
        sock = socket.create_connection((self.ip, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def get(ip, domain, path, user_agent="hypoteky-cluster-test"):
    """(status, headers, body) of one GET through the balancer. Access logs
    carry no query string, so a request is told apart by its User-Agent."""
    conn = SiteConnection(ip, domain)
    try:
        conn.request("GET", path, headers={"Host": domain, "Connection": "close", "User-Agent": user_agent})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class Load:
    def __init__(self, ip, domain, paths, clients=10, max_seconds=600):
        self.ip, self.domain, self.paths = ip, domain, paths
        self.clients, self.deadline = clients, time.monotonic() + max_seconds
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.counts = {"requests": 0, "ok": 0, "status_5xx": 0, "errors": 0, "statuses": {}, "error_kinds": {}}
        self.counts["max_ms"] = 0.0
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)]

    def _client(self, number):
        sent = 0
        while not self.stop_event.is_set() and time.monotonic() < self.deadline:
            path = self.paths[(number + sent) % len(self.paths)]
            sent += 1
            started = time.monotonic()
            try:
                status, _, _ = get(self.ip, self.domain, path)
            except Exception as exc:  # every failure counts, whatever its kind
                with self.lock:
                    self.counts["requests"] += 1
                    self.counts["errors"] += 1
                    kind = type(exc).__name__
                    self.counts["error_kinds"][kind] = self.counts["error_kinds"].get(kind, 0) + 1
                continue
            elapsed = (time.monotonic() - started) * 1000
            with self.lock:
                self.counts["requests"] += 1
                self.counts["max_ms"] = max(self.counts["max_ms"], round(elapsed, 1))
                self.counts["statuses"][str(status)] = self.counts["statuses"].get(str(status), 0) + 1
                if status >= 500:
                    self.counts["status_5xx"] += 1
                else:
                    self.counts["ok"] += 1

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()
        self.counts["failed"] = self.counts["errors"] + self.counts["status_5xx"]
        return self.counts
