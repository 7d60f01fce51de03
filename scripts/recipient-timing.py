#!/usr/bin/env python3
"""Measures, against the running local stack, whether a transfer to a person tells an
unknown address from a known one that cannot receive (a verified account with no USD
wallet): both must answer 422 recipient_unavailable with the same body, in the same time.

PAIRS pairs of POST /v1/transfers with `recipient.email` are sent, each pair one unknown
address and one known-but-unable address in random order (each address used once), from
callers that each stay under the stack's RecipientLookupsPerHour. It prints each kind's
median and 90th percentile, the difference of the medians with a 95% bootstrap interval,
and the distinct answers seen.

Usage (after `make run`):
    .tools/engine/bin/python scripts/recipient-timing.py [PAIRS]
"""
import json
import random
import statistics
import sys
import time
import uuid

from localapi import PASSWORD, api_url, call, must, user_with_wallet, verify

PAIRS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
LOOKUPS_PER_CALLER = 28  # under the template's RecipientLookupsPerHour (30)
BOOTSTRAP_ROUNDS = 2000
SIGNUP_PAUSE_SECONDS = 0.4  # stays under the local per-IP sign-up and login limits (30 per 10 s)


def known_unable(api, run, i):
    """A verified account with no wallet: known, and unable to receive USD."""
    email = f"rt-known-{run}-{i}@wallet.test"
    status, body, _ = call(api, "POST", "/v1/auth/signup", {"email": email, "password": PASSWORD, "name": "t"})
    must(status, body, 202, "signup")
    time.sleep(SIGNUP_PAUSE_SECONDS)
    verify(api, email)
    time.sleep(SIGNUP_PAUSE_SECONDS)
    return email


def summary(name, ms):
    ms = sorted(ms)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    print(f"{name:34} n={len(ms):3}  median {statistics.median(ms):6.1f} ms  p90 {p90:6.1f} ms")


def bootstrap_diff(a, b, rng):
    """The 95% interval of median(a) - median(b) by resampling each."""
    diffs = sorted(statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
                   for _ in range(BOOTSTRAP_ROUNDS))
    return diffs[int(0.025 * BOOTSTRAP_ROUNDS)], diffs[int(0.975 * BOOTSTRAP_ROUNDS)]


def main():
    api = api_url()
    run = uuid.uuid4().hex[:8]
    rng = random.Random(7)
    times = {"unknown address": [], "known, cannot receive": []}
    answers = set()
    known_emails = [known_unable(api, run, i) for i in range(PAIRS)]  # all made before the first timed call
    callers = []
    for _ in range((2 * PAIRS + LOOKUPS_PER_CALLER - 1) // LOOKUPS_PER_CALLER):
        callers.append(user_with_wallet(api, "rt-caller"))
        time.sleep(3 * SIGNUP_PAUSE_SECONDS)
    used = 0
    for i in range(PAIRS):
        token, wallet = callers[used // LOOKUPS_PER_CALLER]
        pair = [("unknown address", f"rt-nobody-{run}-{i}@wallet.test"), ("known, cannot receive", known_emails[i])]
        rng.shuffle(pair)
        for name, email in pair:
            body = {"source_wallet_id": wallet, "recipient": {"email": email}, "amount": 1, "currency": "USD"}
            status, answer, ms = call(api, "POST", "/v1/transfers", body, token, {"Idempotency-Key": str(uuid.uuid4())})
            used += 1
            answers.add((status, json.dumps(answer, sort_keys=True)))
            times[name].append(ms)
    for name, ms in times.items():
        summary(name, ms)
    unknown, known = times["unknown address"], times["known, cannot receive"]
    lo, hi = bootstrap_diff(unknown, known, rng)
    print(f"median(unknown) - median(known): {statistics.median(unknown) - statistics.median(known):+.1f} ms "
          f"(95% bootstrap interval {lo:+.1f} .. {hi:+.1f} ms)")
    print("distinct answers:", sorted(answers))


if __name__ == "__main__":
    main()
