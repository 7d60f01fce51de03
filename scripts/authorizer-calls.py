#!/usr/bin/env python3
"""Counts, against the running local stack, how often the token authorizer runs for one
client: 100 GET /v1/me with one token, then the START lines of the authorizer's and of
MeFunction's log groups since the first request. API Gateway caches the authorizer's
answer per token for the stack's AuthorizerCacheSeconds (3 s locally, 300 s on AWS), so
the authorizer runs about once per TTL of the client's activity, not once per request.

Usage (after `make run`):
    .tools/engine/bin/python scripts/authorizer-calls.py
"""
import sys
import time

import boto3

from localapi import ENGINE, call, new_user, outputs

REQUESTS = 100
LOG_WAIT_SECONDS = 5


def starts(logs, prefix, since):
    groups = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    if not groups:
        sys.exit(f"no log group {prefix}*")
    n, token = 0, None
    while True:
        kw = {"logGroupName": groups[0]["logGroupName"], "startTime": since}
        if token:
            kw["nextToken"] = token
        page = logs.filter_log_events(**kw)
        n += sum(1 for e in page["events"] if e["message"].startswith("START"))
        token = page.get("nextToken")
        if not token:
            return n


def main():
    out = outputs()
    api = out["LocalApiUrl"].rstrip("/")
    token = new_user(api, "authz")
    since = int(time.time() * 1000)
    began = time.monotonic()
    answers = {}
    for _ in range(REQUESTS):
        status, _, _ = call(api, "GET", "/v1/me", token=token)
        answers[status] = answers.get(status, 0) + 1
    elapsed = time.monotonic() - began
    time.sleep(LOG_WAIT_SECONDS)
    logs = boto3.client("logs", endpoint_url=ENGINE, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")
    stack = out.get("StackName", "wallet")
    print(f"{REQUESTS} x GET /v1/me with one token in {elapsed:.1f} s "
          f"(AuthorizerCacheSeconds={out.get('AuthorizerCacheSeconds')}): answers {answers}")
    print("authorizer invocations:", starts(logs, f"/aws/lambda/{stack}-AuthorizerFunction", since))
    print("MeFunction invocations:", starts(logs, f"/aws/lambda/{stack}-MeFunction", since))


if __name__ == "__main__":
    main()
