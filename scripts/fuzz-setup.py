#!/usr/bin/env python3
"""Prepares a schemathesis run against the running local stack: signs up and logs in a
fresh user with a USD wallet and a second one as payee, credits the first wallet, makes
a hold transfer to the second, and
writes a schemathesis.toml whose per-operation parameters point the path ids at those
objects, so generated requests reach the functions' logic instead of stopping at 404.

Usage: python3 scripts/fuzz-setup.py CONFIG_FILE TOKEN_FILE
"""
import sys
import uuid

from localapi import api_url, call, must, user_with_wallet

CREDIT_MINOR = 100_000
HOLD_MINOR = 2_500


def main(config_path, token_path):
    api = api_url()
    token, source = user_with_wallet(api, "fuzz")
    _, destination = user_with_wallet(api, "fuzz")
    status, body, _ = call(api, "POST", f"/v1/wallets/{source}/credits", {"amount": CREDIT_MINOR}, token,
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    must(status, body, 201, "credit")
    status, body, _ = call(api, "POST", "/v1/transfers", {
        "source_wallet_id": source, "destination_wallet_id": destination,
        "amount": HOLD_MINOR, "currency": "USD", "mode": "hold",
    }, token, headers={"Idempotency-Key": str(uuid.uuid4())})
    transfer = must(status, body, 201, "hold transfer")["id"]

    with open(config_path, "w") as f:
        f.write(f'''# Written by scripts/fuzz-setup.py for one run; ids of objects the fuzzing user owns.
[[operations]]
include-path-regex = "^/v1/wallets/\\\\{{id\\\\}}"
parameters = {{ "path.id" = "{source}" }}

[[operations]]
include-path-regex = "^/v1/transfers/\\\\{{id\\\\}}"
parameters = {{ "path.id" = "{transfer}" }}
''')
    with open(token_path, "w") as f:
        f.write(token)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
