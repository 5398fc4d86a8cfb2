#!/usr/bin/python3
"""The security audit's probe of the site as a client sees it, run on the web
host against its own nginx (the site's name as SNI and Host, the connection
to 127.0.0.1). Prints JSON: which TLS versions the server accepts, the
certificate it serves (PEM) and whether the trust store verifies it, the
security headers of one page, and the answers to anonymous GDPR requests."""

import argparse
import http.client
import json
import socket
import ssl
import warnings

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
HEADERS = [
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
]


def unverified():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(args, context):
    sock = socket.create_connection((args.address, args.port), timeout=10)
    return context.wrap_socket(sock, server_hostname=args.domain)


def protocol(args, name):
    """accepted, refused (the server's protocol_version alert) or an error the
    client raised itself (then nothing is known about the server)."""
    context = unverified()
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old protocols at all
    try:
        context.minimum_version = context.maximum_version = VERSIONS[name]
        with handshake(args, context) as tls:
            return {"result": "accepted", "detail": tls.version()}
    except ssl.SSLError as exc:
        if "PROTOCOL_VERSION" in str(exc).upper() or "UNSUPPORTED_PROTOCOL" in str(exc).upper():
            return {"result": "refused", "detail": exc.reason or str(exc)}
        return {"result": "error", "detail": exc.reason or str(exc)}
    except (OSError, ValueError) as exc:
        return {"result": "error", "detail": f"{type(exc).__name__}: {exc}"}


def certificate(args):
    with handshake(args, unverified()) as tls:
        pem = ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True))
    context = ssl.create_default_context(cafile=args.ca_file or None)
    try:
        with handshake(args, context):
            chain = {"verified": True, "detail": "verified against " + (args.ca_file or "the system trust store")}
    except ssl.SSLCertVerificationError as exc:
        chain = {"verified": False, "detail": exc.verify_message or exc.reason}
    except (ssl.SSLError, OSError) as exc:
        chain = {"verified": False, "detail": f"{type(exc).__name__}: {exc}"}
    return pem, chain


class Site(http.client.HTTPSConnection):
    def __init__(self, args):
        super().__init__(args.domain, args.port, context=unverified(), timeout=15)
        self.args = args

    def connect(self):
        self.sock = handshake(self.args, self._context)


def request(args, method, path):
    conn = Site(args)
    try:
        conn.request(
            method,
            path,
            body=b"" if method == "POST" else None,
            headers={"Accept": "application/json" if "/api/" in path else "text/html"},
        )
        response = conn.getresponse()
        response.read()
        return {
            "method": method,
            "path": path,
            "status": response.status,
            "location": response.getheader("Location", ""),
            "headers": {name: response.headers.get_all(name) or [] for name in HEADERS},
        }
    except (OSError, http.client.HTTPException) as exc:
        return {"method": method, "path": path, "status": 0, "location": "", "error": type(exc).__name__}
    finally:
        conn.close()


def main():
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # TLS 1.0/1.1 are asked for on purpose
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--ca-file", default="")
    parser.add_argument("--page", default="/login/")
    parser.add_argument("--anonymous", action="append", default=[], help="METHOD:PATH")
    args = parser.parse_args()
    result = {"protocols": {name: protocol(args, name) for name in VERSIONS}}
    try:
        result["pem"], result["chain"] = certificate(args)
    except (OSError, ssl.SSLError) as exc:
        result["pem"], result["chain"] = "", {"verified": False, "detail": f"{type(exc).__name__}: {exc}"}
    result["page"] = request(args, "GET", args.page)
    result["anonymous"] = [request(args, *item.split(":", 1)) for item in args.anonymous]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
