"""Filters of the audit role: waivers applied to the checks, and the overall result."""

from datetime import date

DOCUMENTATION = ""


def audit_apply_waivers(checks, waivers, today):
    """Each check with its waiver applied. A fail or not_run whose waiver has
    not expired becomes waived (the original result stays in `waived_result`);
    an expired waiver waives nothing and the check says so."""
    today = date.fromisoformat(str(today))
    by_check = {waiver["check"]: waiver for waiver in waivers}
    result = []
    for check in checks:
        check = dict(check)
        waiver = by_check.get(check["id"])
        if waiver is not None:
            expires = date.fromisoformat(str(waiver["expires"]))
            check["waiver"] = {
                "reason": waiver["reason"],
                "expires": expires.isoformat(),
                "expired": expires < today,
            }
            if expires >= today and check["result"] in ("fail", "not_run"):
                check["waived_result"] = check["result"]
                check["result"] = "waived"
        result.append(check)
    return result


def audit_result(checks):
    """fail when any check failed or did not run (unwaived), else pass."""
    return "fail" if any(check["result"] in ("fail", "not_run") for check in checks) else "pass"


def audit_db_privileges_finding(expected, check_id, user, database, hosts, rows, checked_at):
    """A check: the account exists for exactly `hosts` and holds exactly the
    `expected` privileges on `database`.*, and nothing on any other level."""
    if isinstance(expected, str):
        expected = expected.split(",")
    expected = {privilege.strip().upper() for privilege in expected}
    scope = f"{database}.*"
    found = sorted({row["host"] for row in rows})
    problems, seen = [], []
    for host in sorted(set(hosts) - set(found)):
        problems.append(f"{user}@{host} is missing")
    for host in sorted(set(found) - set(hosts)):
        problems.append(f"{user}@{host} should not exist")
    for host in found:
        granted = {(row["scope"], row["privilege"]) for row in rows if row["host"] == host and row["scope"]}
        on_database = {privilege for where, privilege in granted if where == scope}
        elsewhere = sorted(f"{p} on {w}" for w, p in granted if w != scope and (w, p) != ("*.*", "USAGE"))
        seen.append(f"{user}@{host}: {', '.join(sorted(on_database)) or 'nothing'} on {scope}")
        if on_database - expected:
            problems.append(f"{user}@{host} also has {', '.join(sorted(on_database - expected))} on {scope}")
        if expected - on_database:
            problems.append(f"{user}@{host} lacks {', '.join(sorted(expected - on_database))} on {scope}")
        if elsewhere:
            problems.append(f"{user}@{host} has {', '.join(elsewhere)}")
    evidence = "; ".join(seen) or f"no account {user}"
    evidence += f" (expected {', '.join(sorted(expected))} on {scope} from {', '.join(hosts)}, nothing else)"
    if problems:
        evidence += ": " + "; ".join(problems)
    return {
        "id": check_id,
        "title": f"The {user} account has exactly the privileges roles/mariadb designs",
        "result": "fail" if problems else "pass",
        "evidence": evidence,
        "checked_at": checked_at,
    }


class FilterModule:
    def filters(self):
        return {
            "audit_apply_waivers": audit_apply_waivers,
            "audit_result": audit_result,
            "audit_db_privileges_finding": audit_db_privileges_finding,
        }
