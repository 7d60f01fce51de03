#!/usr/bin/env python3
"""Counts, against the running local stack, the DynamoDB calls the rate limiter adds to a
request: GET /v1/me is sent N times and the MeFunction's `ddb_usage` lines (a
MeterDynamoDB deployment logs one per call) are counted per operation. (Whether sign-up,
login or reset tells an address with an account from one without is `make enum-timing`.)

Usage (after `make run`):
    .tools/engine/bin/python scripts/limiter-calls.py
"""
import sys
import time
import uuid

import boto3

from localapi import ENGINE, PASSWORD, call, outputs

ME_CALLS = 10
LOG_WAIT_SECONDS = 5


def main():
    api = outputs()["LocalApiUrl"].rstrip("/")
    run = uuid.uuid4().hex[:8]

    email = f"limiter-{run}@example.com"
    status, body, _ = call(api, "POST", "/v1/auth/signup", {"email": email, "password": PASSWORD, "name": "t"})
    if status != 202:
        sys.exit(f"signup: {status} {body}")
    status, body, _ = call(api, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
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
