#!/usr/bin/env python3
"""Run a command against a private, throwaway MariaDB server.

If HYPOTEKY_DB_HOST is already set, the command simply runs against that
server. Otherwise a mariadbd is started in a fresh temporary directory,
listening only on a unix socket inside it (no TCP port, so parallel runs never
collide), the HYPOTEKY_DB_* variables are pointed at it, the command runs, and
the server (our own PID only) is stopped and its directory removed, also when
the command fails or is interrupted.

Usage: throwaway_mariadb.py [--keep-env] -- COMMAND [ARGS...]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTUP_TIMEOUT = 60


def _find(*names):
    for name in names:
        path = shutil.which(name) or (
            f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None
        )
        if path:
            return path
    sys.exit(f"throwaway_mariadb: none of {names} found; apt-get install mariadb-server")


def start_server(base: str) -> tuple[subprocess.Popen, str]:
    datadir = os.path.join(base, "data")
    socket = os.path.join(base, "mysqld.sock")
    install = _find("mariadb-install-db", "mysql_install_db")
    server = _find("mariadbd", "mysqld")
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    log = open(os.path.join(base, "mariadbd.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            server,
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={socket}",
            "--skip-networking",
            f"--pid-file={os.path.join(base, 'mariadbd.pid')}",
            "--innodb-buffer-pool-size=256M",
            "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--max-connections=200",
            *user,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    client = _find("mariadb", "mysql")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(
                f"throwaway_mariadb: mariadbd exited; see {log.name}:\n"
                + Path(log.name).read_text()
            )
        ping = subprocess.run(
            [client, "--no-defaults", f"--socket={socket}", "-uroot", "-e", "SELECT 1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if ping.returncode == 0:
            subprocess.run(
                [
                    client,
                    "--no-defaults",
                    f"--socket={socket}",
                    "-uroot",
                    "-e",
                    "CREATE DATABASE IF NOT EXISTS hypoteky CHARACTER SET utf8mb4 "
                    "COLLATE utf8mb4_unicode_ci",
                ],
                check=True,
            )
            return proc, socket
        time.sleep(0.2)
    proc.kill()
    sys.exit("throwaway_mariadb: mariadbd did not start in time")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.exit(__doc__)
    command = argv[argv.index("--") + 1 :]
    if os.environ.get("HYPOTEKY_DB_HOST"):
        return subprocess.call(command)
    base = tempfile.mkdtemp(prefix="hyp-db-")
    proc = None
    child = None

    def forward(signum, _frame):
        if child and child.poll() is None:
            child.send_signal(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, forward)
    try:
        proc, socket = start_server(base)
        env = dict(
            os.environ,
            HYPOTEKY_DB_HOST=socket,
            HYPOTEKY_DB_USER="root",
            HYPOTEKY_DB_PASSWORD="",
            HYPOTEKY_DB_NAME="hypoteky",
            HYPOTEKY_DB_PORT="",
        )
        child = subprocess.Popen(command, env=env)
        return child.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
