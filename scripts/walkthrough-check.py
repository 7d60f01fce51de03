#!/usr/bin/env python3
"""Checks the answers of a README walkthrough run (scripts/walkthrough.sh) against what
the README promises, call by call: the status of each, and the bodies it shows (the
health answer, the transfers' statuses, the capture and the void, the ledger check's
"ok": true, the wallet's balances at the end). Refusals are allowed only where the README
expects them: the close of the wallet that still holds money (422 wallet_not_empty, the
first PATCH). Sign-ups answer 202 whether or not the account exists.

Usage: python3 scripts/walkthrough-check.py STATUS_FILE
STATUS_FILE holds one line per curl call, in order: "<status> <method> <url> <body file>".
"""
import json
import re
import sys

# What the walkthrough moves on Alice's wallet until the freeze: a 100.00 top-up, a 25.00
# transfer, a 20.00 capture of a 30.00 hold (the other hold is voided), 20 points
# redeemed (0.20). The refund, the withdrawal and the payments to Bob come after.
CREDIT, TRANSFER, CAPTURE, REDEEMED = 10_000, 2_500, 2_000, 20
FINAL_BALANCE = CREDIT - TRANSFER - CAPTURE + REDEEMED


def code(body):
    return (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None


def fields(**want):
    def check(body):
        return all(isinstance(body, dict) and body.get(k) == v for k, v in want.items())
    check.__doc__ = ", ".join(f"{k}={v!r}" for k, v in want.items())
    return check


def not_empty(body):
    """code=wallet_not_empty"""
    return code(body) == "wallet_not_empty"


def immediate(body):
    """status COMPLETED (or PENDING, still running), amount=2500"""
    return isinstance(body, dict) and body.get("status") in ("COMPLETED", "PENDING") and body.get("amount") == TRANSFER


def ledger_ok(body):
    """ok=True and no violations"""
    return isinstance(body, dict) and body.get("ok") is True and body.get("violations") == []


def looked_up(body):
    """user.email alice-…, role user, one wallet"""
    u = body.get("user") if isinstance(body, dict) else None
    return (isinstance(u, dict) and u.get("email", "").startswith("alice-") and u.get("role") == "user"
            and len(body.get("wallets") or []) == 1)


WALLET = r"/v1/wallets/[^/?]+"
# (method, path pattern, [(status, body check), ...] in the order the README makes the
# calls; the last entry repeats for further calls). Unlisted calls must answer 2xx.
RULES = [
    ("GET", r"/v1/health", [(200, fields(status="ok"))]),
    ("POST", r"/v1/auth/signup", [(202, fields(status="verification_sent"))]),
    ("POST", r"/v1/auth/verify", [(200, fields(email_verified=True))]),
    ("POST", WALLET + r"/credits", [(201, fields(amount=CREDIT, currency="USD"))]),
    ("POST", WALLET + r"/withdrawals", [(201, fields(amount=1_000, currency="USD"))]),
    ("POST", r"/v1/transfers/[^/]+/refunds", [(201, fields(status="COMPLETED", amount=500))]),
    ("PATCH", WALLET, [(422, not_empty),
                       (200, fields(status="FROZEN", balance=FINAL_BALANCE)),
                       (200, fields(status="ACTIVE", balance=FINAL_BALANCE, held=0, available=FINAL_BALANCE))]),
    ("POST", r"/v1/transfers", [((201, 202), immediate),
                                (201, fields(status="HELD", amount=3_000)),
                                (201, fields(status="HELD", amount=1_000)),
                                (201, fields(status="COMPLETED", amount=300))]),
    ("POST", r"/v1/payment-requests", [(201, fields(status="PENDING", amount=700))]),
    ("POST", r"/v1/payment-requests/[^/]+/pay", [(201, fields(status="COMPLETED", amount=700))]),
    ("POST", r"/v1/transfers/[^/]+/capture", [(200, fields(status="COMPLETED", captured_amount=CAPTURE))]),
    ("POST", r"/v1/transfers/[^/]+/void", [(200, fields(status="RELEASED"))]),
    ("POST", r"/v1/rewards/redeem", [(201, fields(points=20, amount=REDEEMED))]),
    ("GET", r"/v1/admin/ledger/check", [(200, ledger_ok)]),
    ("GET", r"/v1/admin/users", [(200, looked_up)]),
]


def main(status_file):
    seen = {}
    problems = []
    calls = 0
    with open(status_file) as f:
        for line in f:
            m = re.match(r"^(\d{3}) ([A-Z]+) (\S+) (\S+)$", line.rstrip("\n"))
            if not m:
                continue
            calls += 1
            status, method, url, body_file = int(m[1]), m[2], m[3], m[4]
            path = re.sub(r"^.*?(/v1/)", r"\1", url)
            with open(body_file, "rb") as b:
                raw = b.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                problems.append(f"{status} {method} {path}: the body is not JSON: {raw[:200]!r}")
                continue
            rule = next((r for r in RULES if r[0] == method and re.fullmatch(r[1], path.split("?")[0])), None)
            if rule is None:
                if not 200 <= status < 300:
                    problems.append(f"{status} {method} {path}: the README promises no such answer: {raw[:300]!r}")
                continue
            n = seen.get(rule[1] + method, 0)
            seen[rule[1] + method] = n + 1
            want_status, check = rule[2][min(n, len(rule[2]) - 1)]
            statuses = want_status if isinstance(want_status, tuple) else (want_status,)
            if not (status in statuses and check(body)):
                what = f"{'/'.join(map(str, statuses))} with {check.__doc__}"
                problems.append(f"{method} {path} (call {n + 1} of its kind): want {what}, got {status} {raw[:300]!r}")
    for method, pattern, expected in RULES:
        if seen.get(pattern + method, 0) < len(expected):
            problems.append(f"{method} {pattern}: {seen.get(pattern + method, 0)} calls, the README makes {len(expected)}")
    if problems:
        print("answers the README does not promise:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"{calls} answers checked against the README: statuses, bodies, a final balance of {FINAL_BALANCE}, ledger ok")


if __name__ == "__main__":
    main(sys.argv[1])
