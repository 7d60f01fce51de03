#!/usr/bin/env python3
"""Runs the product's conservation check (GET /v1/admin/ledger/check) on the running
local stack as the local admin, and exits non-zero unless it answers 200 with "ok": true
and no violations. make fuzz ends with it: generated requests must not break the ledger.

Usage: python3 scripts/ledger-check.py
"""
import sys

from localapi import api_url, call, must

# The local deployment's admin (made by scripts/admin-local.py after every deploy), with
# the password the integration tests and the README use.
ADMIN = {"email": "admin@wallet.local", "password": "local admin password"}


def main():
    api = api_url()
    status, body, _ = call(api, "POST", "/v1/auth/login", {"email": ADMIN["email"], "password": ADMIN["password"]})
    token = must(status, body, 200, "admin login")["access_token"]
    status, body, _ = call(api, "GET", "/v1/admin/ledger/check", token=token)
    check = must(status, body, 200, "ledger check")
    if check.get("ok") is not True or check.get("violations"):
        sys.exit(f"ledger check is not ok: {check}")
    print(f"ledger check ok: {check.get('wallets_checked')} wallets, no violations")


if __name__ == "__main__":
    main()
