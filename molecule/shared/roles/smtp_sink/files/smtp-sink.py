#!/usr/bin/python3
"""TEST ONLY: a catch-all SMTP server (aiosmtpd) that stores every message.

Each accepted message becomes one file in the messages directory, with
headers in front that record how it arrived: X-Sink-TLS (the TLS version, or
"none"), X-Sink-Login (the authenticated user, or "none"), X-Sink-Peer and
the envelope (X-Sink-Mail-From, X-Sink-Rcpt-To). With a TLS certificate the
server requires STARTTLS before AUTH and MAIL; with users it requires AUTH.
"""

import argparse
import asyncio
import hmac
import itertools
import json
import os
import ssl
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_sequence = itertools.count(1)


class Store:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        tls = (session.ssl or {}).get("ssl_object")
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else "none"
        headers = (
            f"X-Sink-TLS: {tls.version() if tls else 'none'}\r\n"
            f"X-Sink-Login: {login}\r\n"
            f"X-Sink-Peer: {session.peer[0]}\r\n"
            f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
            f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{time.time_ns()}-{next(_sequence):06d}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(headers + envelope.original_content)
        os.replace(partial, self.directory / name)  # readers never see half a message
        return "250 2.0.0 Stored"


class Users:
    def __init__(self, users: dict[str, str]):
        self.users = users

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        expected = self.users.get(auth_data.login.decode(errors="replace"))
        ok = expected is not None and hmac.compare_digest(expected.encode(), auth_data.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


async def serve(args):
    users = json.loads(Path(args.users).read_text()) if args.users else {}
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    directory = Path(args.messages)
    directory.mkdir(parents=True, exist_ok=True)

    def factory():
        return SMTP(
            Store(directory),
            hostname=args.hostname,
            tls_context=tls,
            require_starttls=tls is not None,
            authenticator=Users(users) if users else None,
            auth_required=bool(users),
            auth_require_tls=tls is not None,
        )

    server = await asyncio.get_running_loop().create_server(factory, args.listen, args.port)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=587)
    parser.add_argument("--hostname", default="smtp-sink.test")
    parser.add_argument("--messages", required=True, help="directory the messages go to")
    parser.add_argument("--cert", help="TLS certificate (PEM) for STARTTLS")
    parser.add_argument("--key", help="its private key")
    parser.add_argument("--users", help='JSON file {"login": "password"}; AUTH is then required')
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
