"""The rolling deploy across the cluster, in order: a release with a new
migration goes live one app host at a time under continuous load through
the balancer (10 clients) without a failed request; its migration runs once
(one pre-migration backup, one row in Django's migration log, nothing
pending for the second batch); then a release that fails its health gate on
the first host leaves that host out of the balancer and stops the play
before the second, still without a failed request; a later deploy puts it
back; rollback.yml then takes both back to the release before, one host at a
time and just as lossless. The file sorts after the other tests: it leaves
both hosts on the release before (on the migrated schema), both in the
balancer."""

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from balancer import Load, get
from hosts import address, root_sql, run_playbook

testinfra_hosts = ["cluster-lb"]

ROOT = Path(__file__).resolve().parents[3]
APPS = ["cluster-app1", "cluster-app2"]
UPSTREAMS = "/etc/nginx/hypoteky-upstreams"
PROBE_MIGRATION = "0999_rolling_deploy_probe"
PROBE_TABLE = "klienti_rolling_deploy_probe"
# Paths through the whole stack that no rate limit covers: the readiness
# probe (database and keys), a page that redirects to the login, a health probe.
LOAD_PATHS = ["/readyz", "/", "/healthz"]
# A wrong password for the app's database account (the migration account's is right).
WRONG_DB_PASSWORD = "not-the-app-accounts-password"
DRAIN_TASK = "Mark this host's server down on the web hosts (tested with the whole configuration first)"
UNDRAIN_TASK = "Take this host's down mark off on the web hosts (tested with the whole configuration first)"
BOTH_VIA_LB = [("cluster-app1", "cluster-lb"), ("cluster-app2", "cluster-lb")]
MIGRATION = '''from django.db import migrations


class Migration(migrations.Migration):
    """A schema change the release before can live with (a table it never reads)."""

    dependencies = [("klienti", "{leaf}")]

    operations = [
        migrations.RunSQL(
            "CREATE TABLE {table} (id INT PRIMARY KEY)",
            reverse_sql="DROP TABLE {table}",
        ),
    ]
'''


def git(*args, env=None, stdin=None):
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True, env=env, input=stdin
    ).stdout.strip()


def commit_with_a_new_migration(release):
    """A commit object (no branch moves, the working tree is untouched): the
    release's app commit plus one backward-compatible migration. The same
    release always gives the same commit, so a rerun builds nothing new."""
    base = git("rev-parse", release.rsplit("-", 1)[1] + "^{commit}")
    names = git("ls-tree", "--name-only", base, "app/klienti/migrations/").split()
    leaf = max(Path(name).stem for name in names if re.match(r"^\d{4}_", Path(name).name))
    blob = git("hash-object", "-w", "--stdin", stdin=MIGRATION.format(leaf=leaf, table=PROBE_TABLE))
    when = git("log", "-1", "--format=%ct", base)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "GIT_INDEX_FILE": f"{tmp}/index",
            "GIT_AUTHOR_NAME": "hypoteky tests",
            "GIT_AUTHOR_EMAIL": "tests@hypoteky.invalid",
            "GIT_COMMITTER_NAME": "hypoteky tests",
            "GIT_COMMITTER_EMAIL": "tests@hypoteky.invalid",
            "GIT_AUTHOR_DATE": f"{when} +0000",
            "GIT_COMMITTER_DATE": f"{when} +0000",
        }
        git("read-tree", base, env=env)
        path = f"app/klienti/migrations/{PROBE_MIGRATION}.py"
        git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = git("write-tree", env=env)
        return git("commit-tree", tree, "-p", base, "-m", "Rolling deploy test: one more migration", env=env)


def playbook(name, *extra):
    started = time.monotonic()
    proc = run_playbook(name, *extra)
    elapsed = time.monotonic() - started
    proc.stdout = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)  # plain text, whatever the colour setting
    print(f"{name} {' '.join(extra)}: exit {proc.returncode} in {elapsed:.0f} s")
    return proc, elapsed


def record(name, measurement):
    """Keep a measurement where the run's other evidence is (artifacts/), for the report."""
    path = ROOT / "artifacts" / "cluster" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(measurement, indent=2) + "\n")


def current_release(host):
    return Path(host.file("/srv/hypoteky/current").linked_to).name


def task_results(output, task):
    """The result lines of every run of a task (each serial batch runs it once)."""
    lines = []
    for block in output.split("\nTASK [")[1:]:
        header, _, body = block.partition("\n")
        if header.split("]")[0].endswith(task):
            lines += [line for line in body.splitlines() if re.match(r"^(ok|changed|skipping|failed|fatal):", line)]
    return lines


def delegated(lines, status):
    """(host, delegated-to host) of the result lines with that status, in order."""
    pairs = [re.match(rf"^{status}: \[(\S+) -> ([^\](]+)", line) for line in lines]
    return [match.groups() for match in pairs if match]


def delegated_in_order(output, tasks, status):
    """(task, host, delegated-to host) of those tasks' result lines, in the order they ran."""
    found = []
    for block in output.split("\nTASK [")[1:]:
        header, _, body = block.partition("\n")
        task = next((name for name in tasks if header.split("]")[0].endswith(name)), None)
        if task:
            found += [(task, host, to) for host, to in delegated(body.splitlines(), status)]
    return found


def app_play(output, play="Phase 6, app runtime"):
    """The output of the rolling app play (pre-flight plays run on every host)."""
    return output.split(f"PLAY [{play}]", 1)[1]


def upstream_lines(cluster):
    lb = cluster["cluster-lb"]
    return {app: lb.file(f"{UPSTREAMS}/{app}.conf").content_string.strip() for app in APPS}


def all_in_balancer(cluster):
    return {app: f"server {address(cluster[app])}:8000 fail_timeout=0;" for app in APPS}


# Both app hosts, one at a time: out of the balancer, restarted, back in, then the next.
ONE_AT_A_TIME = [
    (DRAIN_TASK, "cluster-app1"),
    (UNDRAIN_TASK, "cluster-app1"),
    (DRAIN_TASK, "cluster-app2"),
    (UNDRAIN_TASK, "cluster-app2"),
]


def drain_steps(play):
    return [(task, host) for task, host, _ in delegated_in_order(play, [DRAIN_TASK, UNDRAIN_TASK], "changed")]


def run_under_load(cluster, domain, what, name, *extra):
    """A playbook run with 10 clients loading the balancer from 3 s before to
    3 s after; the load's result is printed and recorded as `what`."""
    load = Load(address(cluster["cluster-lb"]), domain, LOAD_PATHS, clients=10).start()
    time.sleep(3)
    proc, elapsed = playbook(name, *extra)
    time.sleep(3)
    result = load.stop()
    print(f"{what}: {elapsed:.0f} s; load through the balancer: {json.dumps(result)}")
    return proc, elapsed, result


def assert_lost_no_request(result):
    assert result["requests"] > 100, result
    assert result["errors"] == 0, result
    assert result["status_5xx"] == 0, result
    assert result["failed"] == 0, result


@pytest.fixture(scope="module")
def domain(cluster):
    return cluster["cluster-lb"].ansible("debug", "var=hypoteky_domain", check=False)["hypoteky_domain"]


@pytest.fixture(scope="module")
def probe_release(cluster):
    """A release built from the deployed one plus a new migration."""
    before = current_release(cluster["cluster-app1"])
    commit = commit_with_a_new_migration(before)
    release = f"{before.rsplit('-', 1)[0]}-{git('rev-parse', '--short', commit)}"
    # Not the default release: the checked-out commit stays that (other scenarios may be deploying it).
    build, _ = playbook(
        "01-build.yml",
        "-e",
        f"hypoteky_build_ref={commit}",
        "-e",
        "hypoteky_build_run_app_tests=false",
        "-e",
        "hypoteky_build_point_latest=false",
    )
    assert build.returncode == 0, build.stdout[-3000:]
    assert (ROOT / "build" / "releases" / release / f"hypoteky-{release}.tar").exists()
    return before, release


def test_rolling_deploy_under_load_loses_no_request_and_migrates_once(cluster, domain, probe_release):
    before, release = probe_release
    db = cluster["cluster-db"]
    assert root_sql(db, f"SELECT COUNT(*) FROM django_migrations WHERE name = '{PROBE_MIGRATION}'") == "0"
    deploy, elapsed, result = run_under_load(
        cluster, domain, f"rolling deploy {before} -> {release}", "06-app.yml", "-e", f"crm_app_release={release}"
    )
    record("rolling-deploy", {"from": before, "to": release, "seconds": round(elapsed), "load": result})
    assert deploy.returncode == 0, deploy.stdout[-4000:]
    assert_lost_no_request(result)
    for app in APPS:
        assert current_release(cluster[app]) == release, app

    play = app_play(deploy.stdout)
    drained = task_results(play, DRAIN_TASK)
    undrained = task_results(play, UNDRAIN_TASK)
    assert delegated(drained, "changed") == BOTH_VIA_LB, drained
    assert delegated(undrained, "changed") == BOTH_VIA_LB, undrained
    assert drain_steps(play) == ONE_AT_A_TIME
    assert upstream_lines(cluster) == all_in_balancer(cluster)

    # Migrations once per deployment: the first batch applies them, the second finds none pending.
    applied = task_results(play, "Apply the migrations (migration account, once)")
    assert applied == ["changed: [cluster-app1]", "skipping: [cluster-app2]"], applied
    assert "skipping: [cluster-app2]" in task_results(play, "Back up the database before migrating")
    restored = task_results(play, "Restore the backup after a failed migration or data check")
    assert "changed: [cluster-app1]" not in restored
    with db.sudo():
        names = db.check_output("ls /var/backups/hypoteky/").split()
    pre_migrate = [
        name for name in names if re.match(rf"^hypoteky-pre-migrate-{re.escape(release)}-.*\.sql\.zst$", name)
    ]
    assert len(pre_migrate) == 1, names
    assert root_sql(db, f"SELECT COUNT(*) FROM django_migrations WHERE name = '{PROBE_MIGRATION}'") == "1"
    assert root_sql(db, f"SHOW TABLES LIKE '{PROBE_TABLE}'") == PROBE_TABLE


def test_host_that_fails_its_gate_stays_out_and_the_play_stops(cluster, domain, probe_release):
    _, serving = probe_release
    app1, app2 = cluster["cluster-app1"], cluster["cluster-app2"]
    target = Path(app1.file("/srv/hypoteky/previous").linked_to).name
    assert target != serving
    lb_ip = address(cluster["cluster-lb"])
    load = Load(lb_ip, domain, LOAD_PATHS, clients=10).start()
    deploy, _ = playbook(
        "06-app.yml",
        "-e",
        f"crm_app_release={target}",
        "-e",
        json.dumps({"crm_app_db_password": WRONG_DB_PASSWORD, "crm_app_ready_timeout": 20}),
    )
    result = load.stop()
    print(f"failed deploy of {target}: load through the balancer: {json.dumps(result)}")
    assert deploy.returncode != 0
    assert f"Release {target} failed its health gate on cluster-app1" in deploy.stdout
    assert WRONG_DB_PASSWORD not in deploy.stdout
    # The failed host went back to its release but stays out; the play never reached the second.
    assert current_release(app1) == serving
    assert current_release(app2) == serving
    assert "cluster-app2" not in app_play(deploy.stdout).split("PLAY RECAP")[0]
    lines = upstream_lines(cluster)
    assert lines["cluster-app1"].endswith(" down;"), lines
    assert lines["cluster-app2"].endswith("fail_timeout=0;"), lines
    assert result["failed"] == 0, result
    assert result["requests"] > 50, result

    # The balancer sends everything to the host that stayed in.
    marker = os.urandom(8).hex()
    for number in range(6):
        status, _, _ = get(lb_ip, domain, "/readyz", user_agent=f"probe-{marker}-{number}")
        assert status == 200
    with app1.sudo():
        assert marker not in app1.check_output("journalctl -u hypoteky.service --since=-5min --no-pager -o cat")
    with app2.sudo():
        assert app2.check_output("journalctl -u hypoteky.service --since=-5min --no-pager -o cat").count(marker) == 6

    # A deploy that passes the gate puts the host back.
    again, _ = playbook("06-app.yml", "-e", f"crm_app_release={serving}")
    assert again.returncode == 0, again.stdout[-4000:]
    assert upstream_lines(cluster) == all_in_balancer(cluster)
    # It was out already, so nothing marked it down again; the passed gate took the mark off.
    again_play = app_play(again.stdout)
    assert ("cluster-app1", "cluster-lb") not in delegated(task_results(again_play, DRAIN_TASK), "changed")
    assert ("cluster-app1", "cluster-lb") in delegated(task_results(again_play, UNDRAIN_TASK), "changed")


def test_rollback_goes_back_one_host_at_a_time_under_load(cluster, domain, probe_release):
    before, serving = probe_release
    assert {current_release(cluster[app]) for app in APPS} == {serving}
    rollback, elapsed, result = run_under_load(cluster, domain, f"rollback {serving} -> {before}", "rollback.yml")
    record("rollback", {"from": serving, "to": before, "seconds": round(elapsed), "load": result})
    assert rollback.returncode == 0, rollback.stdout[-4000:]
    assert_lost_no_request(result)
    for app in APPS:
        assert current_release(cluster[app]) == before, app
    assert drain_steps(app_play(rollback.stdout, "Roll the app back")) == ONE_AT_A_TIME
    assert upstream_lines(cluster) == all_in_balancer(cluster)
    # No migration runs backwards: the older code lives with the newer schema.
    assert root_sql(cluster["cluster-db"], f"SHOW TABLES LIKE '{PROBE_TABLE}'") == PROBE_TABLE
