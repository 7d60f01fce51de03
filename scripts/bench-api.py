#!/usr/bin/env python3
"""Latency and hot-wallet throughput through the local API, side by side in one run.

1. p50/p95/p99 of an immediate transfer and of a credit (one transaction, no saga),
   sequential and with CLIENTS concurrent clients; transfer/credit is the saga's overhead.
2. The hot wallet: HOT_TRANSFERS transfers from ONE source by CLIENTS concurrent clients,
   against HOT_TRANSFERS from CLIENTS distinct sources, alternated, ROUNDS times: the
   throughput ratio hot/spread, and every client-visible error other than a business
   refusal.

Run by scripts/bench-api.sh (make bench-api), which deploys with the per-caller rate
limits lifted: one payer sending 64 transfers at once would otherwise be refused by its
own limit, which is not what this measures.
"""
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from localapi import api_url, call, user_with_wallet

CLIENTS = 16
SEQUENTIAL = 40
CONCURRENT = 160
HOT_TRANSFERS = 64
ROUNDS = 2
AMOUNT = 100
FUND = 1_000_000


def credit(api, token, wallet, amount):
    return call(api, "POST", f"/v1/wallets/{wallet}/credits", {"amount": amount}, token,
                headers={"Idempotency-Key": str(uuid.uuid4())})


def transfer(api, token, src, dst):
    return call(api, "POST", "/v1/transfers", {"source_wallet_id": src, "destination_wallet_id": dst,
                                               "amount": AMOUNT, "currency": "USD"}, token,
                headers={"Idempotency-Key": str(uuid.uuid4())})


def percentiles(ms):
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94], q[98]


def run(jobs, workers):
    """Runs the jobs (callables returning (status, body, ms)) on workers threads; returns
    the answers and the wall time in seconds."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda job: job(), jobs))
    return answers, time.perf_counter() - start


def unexpected(answers, ok):
    """Client-visible errors other than the expected answer or a business refusal (422)."""
    return [(s, b) for s, b, _ in answers if s != ok and s != 422]


def main():
    api = api_url()
    payers = [user_with_wallet(api, "bench") for _ in range(CLIENTS)]
    payee_token, payee = user_with_wallet(api, "bench")
    for token, wallet in payers:
        credit(api, token, wallet, FUND)

    rows = []
    problems = []
    for label, workers, n in (("sequential", 1, SEQUENTIAL), (f"{CLIENTS} concurrent clients", CLIENTS, CONCURRENT)):
        c_jobs = [lambda i=i: credit(api, payers[i % CLIENTS][0], payers[i % CLIENTS][1], 1) for i in range(n)]
        t_jobs = [lambda i=i: transfer(api, payers[i % CLIENTS][0], payers[i % CLIENTS][1], payee) for i in range(n)]
        credits, _ = run(c_jobs, workers)
        transfers, _ = run(t_jobs, workers)
        problems += unexpected(credits, 201) + unexpected(transfers, 201)
        cp = percentiles([ms for _, _, ms in credits])
        tp = percentiles([ms for _, _, ms in transfers])
        rows.append((label, n, cp, tp))

    print("| load | requests each | credit p50 / p95 / p99 ms | transfer p50 / p95 / p99 ms | transfer/credit at p50 |")
    print("|---|---:|---|---|---:|")
    for label, n, cp, tp in rows:
        print(f"| {label} | {n} | {cp[0]:.0f} / {cp[1]:.0f} / {cp[2]:.0f} | {tp[0]:.0f} / {tp[1]:.0f} / {tp[2]:.0f} | {tp[0] / cp[0]:.1f}× |")

    print()
    print(f"| round | hot: {HOT_TRANSFERS} from one source, transfers/s | spread: {HOT_TRANSFERS} from {CLIENTS} sources, transfers/s | hot/spread | errors (not 201/422) |")
    print("|---|---:|---:|---:|---:|")
    hot_token, hot_wallet = payers[0]
    for r in range(1, ROUNDS + 1):
        hot, hot_s = run([lambda: transfer(api, hot_token, hot_wallet, payee) for _ in range(HOT_TRANSFERS)], CLIENTS)
        spread, spread_s = run([lambda i=i: transfer(api, payers[i % CLIENTS][0], payers[i % CLIENTS][1], payee)
                                for i in range(HOT_TRANSFERS)], CLIENTS)
        errors = unexpected(hot, 201) + unexpected(spread, 201)
        problems += errors
        print(f"| {r} | {HOT_TRANSFERS / hot_s:.1f} | {HOT_TRANSFERS / spread_s:.1f} | {spread_s / hot_s:.2f} | {len(errors)} |")
    if problems:
        print()
        print(f"{len(problems)} client-visible errors other than business refusals, e.g. {problems[:3]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
