"""What the notifications tests do on the converged host: run the app's
management commands as the app user with its environment file (as the
jobs' units do), read the SMTP sink's messages, query the database."""

import json
import shlex

from hosts import root_sql

APP_USER = "hypoteky"
CURRENT = "/srv/hypoteky/current"
ENV_FILE = "/etc/hypoteky/hypoteky.env"
MESSAGES = "/var/lib/smtp-sink/messages"
DIGEST = "hypoteky-deadline-notifications"
REPORT = "hypoteky-reporting-email"

# Parses every stored message on the host and prints them as JSON.
READ_MESSAGES = r"""
import email, email.policy, json, pathlib, sys
out = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    m = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",))
    out.append({
        "file": path.name, "subject": " ".join(str(m["Subject"]).split()), "to": str(m["To"]),
        "from": str(m["From"]), "tls": m["X-Sink-TLS"], "login": m["X-Sink-Login"],
        "rcpt": m["X-Sink-Rcpt-To"], "text": body.get_content() if body else "",
        "attachments": [p.get_filename() for p in m.iter_attachments()],
    })
print(json.dumps(out))
"""


def manage(host, *args, env_file=ENV_FILE):
    """`python -m django ARGS` of the serving release, as the app user with
    the environment file, through systemd like the jobs' units."""
    command = [
        "systemd-run", "--quiet", "--wait", "--pipe", "--collect",
        f"--uid={APP_USER}", f"--gid={APP_USER}",
        f"--property=EnvironmentFile={env_file}",
        "--property=Environment=DJANGO_SETTINGS_MODULE=hypoteky.settings",
        f"--property=WorkingDirectory={CURRENT}",
        f"{CURRENT}/venv/bin/python", "-m", "django", *args,
    ]  # fmt: skip
    with host.sudo():
        return host.run(shlex.join(command))


def manage_with(host, changes, *args):
    """manage() with some variables of the environment file changed (a copy
    that only root reads, removed afterwards)."""
    copy = "/run/hypoteky-test.env"
    scripts = [f's|^{name}=.*|{name}="{value}"|' for name, value in changes.items()]
    sed = " ".join(f"-e {shlex.quote(script)}" for script in scripts)
    with host.sudo():
        host.check_output(f"umask 077 && sed {sed} {ENV_FILE} > {copy}")
    try:
        return manage(host, *args, env_file=copy)
    finally:
        with host.sudo():
            host.run(f"rm -f {copy}")


def messages(host):
    with host.sudo():
        return json.loads(host.check_output(f"python3 -c {shlex.quote(READ_MESSAGES)} {MESSAGES}"))


def new_messages(host, before):
    seen = {m["file"] for m in before}
    return [m for m in messages(host) if m["file"] not in seen]


def start_job(host, unit):
    """Run a job's service exactly as its timer does and wait for it."""
    with host.sudo():
        return host.run(f"systemctl start --wait {unit}.service")


def unit_show(host, unit, *properties):
    with host.sudo():
        out = host.check_output(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in properties))
    return dict(line.split("=", 1) for line in out.splitlines())


def today(host):
    """The hosts' local day (Europe/Prague), the day the jobs run for."""
    return host.check_output("date +%F")


def sql_rows(host, sql):
    out = root_sql(host, sql)
    return [line.split("\t") for line in out.splitlines() if line]
