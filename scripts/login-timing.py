#!/usr/bin/env python3
"""Measures, against the running local stack, what issue "Abuse resistance" asks for:

1. Sign-up latency for a new address and for one that has an account (202 both, a code
   or a notice emailed), and login latency for a known email and an unknown email with a
   wrong password (20 each, each email used once so no lock-out is involved): medians and
   90th percentiles. Each pair must be in the same timing class and answer alike, so the
   API does not tell which emails exist.
2. The DynamoDB calls the rate limiter adds to a request: GET /v1/me is sent N times and
   the MeFunction's `ddb_usage` lines (a MeterDynamoDB deployment logs one per call) are
   counted per operation.

Usage (after `make run`):
    .tools/engine/bin/python scripts/login-timing.py
"""
import json
import statistics
import sys
import time
import uuid

import boto3

from localapi import ENGINE, PASSWORD, call, outputs

SAMPLES = 20
ME_CALLS = 10
LOGIN_PAUSE_SECONDS = 0.4  # stays under the local per-IP login limit (30 per 10 s)
LOG_WAIT_SECONDS = 5


def summary(name, ms):
    ms = sorted(ms)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    print(f"{name:28} n={len(ms):2}  median {statistics.median(ms):6.1f} ms  p90 {p90:6.1f} ms")


def main():
    api = outputs()["LocalApiUrl"].rstrip("/")
    run = uuid.uuid4().hex[:8]

    known = []
    signups = {"signup, new address": [], "signup, taken address": []}
    answers = set()
    for i in range(SAMPLES):
        email = f"timing-{run}-{i}@example.com"
        for name in signups:  # the first call creates the account, the second finds it taken
            status, body, ms = call(api, "POST", "/v1/auth/signup", {"email": email, "password": PASSWORD, "name": "t"})
            if status != 202:
                sys.exit(f"signup: {status} {body}")
            answers.add(json.dumps(body, sort_keys=True))
            signups[name].append(ms)
            time.sleep(LOGIN_PAUSE_SECONDS)
        known.append(email)
    for name, ms in signups.items():
        summary(name, ms)
    print("signup answers:", sorted(answers))

    times = {"known email, wrong password": [], "unknown email": []}
    statuses = set()
    for i in range(SAMPLES):
        for name, email in (("known email, wrong password", known[i]),
                            ("unknown email", f"nobody-{run}-{i}@example.com")):
            status, body, ms = call(api, "POST", "/v1/auth/login", {"email": email, "password": "not the password!!"})
            statuses.add((status, body.get("error", {}).get("code")))
            times[name].append(ms)
            time.sleep(LOGIN_PAUSE_SECONDS)
    for name, ms in times.items():
        summary(name, ms)
    print("answers:", sorted(statuses))

    status, body, _ = call(api, "POST", "/v1/auth/login", {"email": known[0], "password": PASSWORD})
    if status != 200:
        sys.exit(f"login: {status} {body}")
    token = body["access_token"]
    since = int(time.time() * 1000) - 1000
    for _ in range(ME_CALLS):
        call(api, "GET", "/v1/me", token=token)
    time.sleep(LOG_WAIT_SECONDS)
    logs = boto3.client("logs", endpoint_url=ENGINE, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")
    group = next(g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/wallet-MeFunction")["logGroups"])
    ops, units = {}, {}
    for event in logs.filter_log_events(logGroupName=group, startTime=since)["events"]:
        msg = event["message"]
        if "ddb_usage" not in msg:
            continue
        fields = dict(part.split("=", 1) for part in msg.split() if "=" in part)
        op = fields.get("op", "?")
        ops[op] = ops.get(op, 0) + 1
        units[op] = units.get(op, 0.0) + float(fields.get("rru", 0)) + float(fields.get("wru", 0))
    print(f"GET /v1/me x{ME_CALLS}: DynamoDB calls per request:",
          {op: n / ME_CALLS for op, n in sorted(ops.items())},
          "capacity units per request:", {op: u / ME_CALLS for op, u in sorted(units.items())})


if __name__ == "__main__":
    main()
