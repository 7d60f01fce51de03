#!/usr/bin/env python3
"""Counts, per function, invocations and DynamoDB write calls since a moment.

Reads the functions' log groups on the local engine (the MeterDynamoDB setting makes
every DynamoDB call log a `ddb_usage` line with its operation). Attempts per
operation = TransactWriteItems calls / invocations. Usage:

    .tools/engine/bin/python scripts/count-writes.py SINCE_EPOCH_MS [UNTIL_EPOCH_MS]
"""
import re
import sys

import boto3

PAGES_MAX = 10_000


def main() -> None:
    since = int(sys.argv[1])
    until = int(sys.argv[2]) if len(sys.argv) > 2 else None
    logs = boto3.client("logs", endpoint_url="http://127.0.0.1:4566", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/wallet-")["logGroups"]
    op_re = re.compile(r'"op":"(\w+)"|op=(\w+)')
    print(f"{'function':40} {'invocations':>11} {'TransactWriteItems':>18} {'per invocation':>14}")
    for g in sorted(groups, key=lambda g: g["logGroupName"]):
        name = g["logGroupName"].removeprefix("/aws/lambda/wallet-")
        kw = {"logGroupName": g["logGroupName"], "startTime": since}
        if until:
            kw["endTime"] = until
        starts = tx = 0
        for _ in range(PAGES_MAX):
            page = logs.filter_log_events(**kw)
            for e in page["events"]:
                msg = e["message"]
                if msg.startswith("START RequestId"):
                    starts += 1
                elif "ddb_usage" in msg:
                    m = op_re.search(msg)
                    if m and (m.group(1) or m.group(2)) == "TransactWriteItems":
                        tx += 1
            token = page.get("nextToken")
            if not token or token == kw.get("nextToken"):
                break
            kw["nextToken"] = token
        if starts or tx:
            ratio = f"{tx / starts:.2f}" if starts else "-"
            print(f"{name[:40]:40} {starts:>11} {tx:>18} {ratio:>14}")


if __name__ == "__main__":
    main()
