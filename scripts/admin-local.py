#!/usr/bin/env python3
"""Makes the local deployment's operator account, admin@wallet.local: the one place it
is made (scripts/deploy-local.sh runs this after every deploy; the tests, the chaos run,
the browser tests, the walkthrough and the collection only log in as it).

Like anyone, it signs up through the API as a user and verifies its address with the
code the mail catcher received; then the operator's command grants it the admin role
(go run ./cmd/admin grant, as `make admin-grant` does). Run again, it finds the account
verified and already an admin, and changes nothing.

Usage: python3 scripts/admin-local.py   (from the repository root, after engine_env)
"""
import subprocess
import sys

from localapi import OUTPUTS, api_url, call, latest_code, must

# The local operator and its password, which the tests, the README and the collection use.
ADMIN = {"email": "admin@wallet.local", "password": "local admin password", "name": "Admin"}


def me(api):
    status, body, _ = call(api, "POST", "/v1/auth/login", {"email": ADMIN["email"], "password": ADMIN["password"]})
    token = must(status, body, 200, "admin login")["access_token"]
    status, body, _ = call(api, "GET", "/v1/me", token=token)
    return must(status, body, 200, "admin /v1/me")


def main():
    api = api_url()
    status, body, _ = call(api, "POST", "/v1/auth/signup", ADMIN)
    must(status, body, 202, "admin signup")  # a notice, not a second account, when it exists
    account = me(api)
    if account["role"] == "admin":
        print(f"{ADMIN['email']} is an admin already")
        return
    if not account["email_verified"]:
        status, body, _ = call(api, "POST", "/v1/auth/verify/resend", {"email": ADMIN["email"]})
        must(status, body, 202, "admin verification resend")  # a new code only if the last one is over a minute old
        status, body, _ = call(api, "POST", "/v1/auth/verify", {"email": ADMIN["email"], "code": latest_code(ADMIN["email"])})
        must(status, body, 200, "admin verify")
    subprocess.run(["go", "run", "./cmd/admin", "grant", "--email", ADMIN["email"], "--outputs", OUTPUTS,
                    "--reason", "the local deployment's operator (scripts/admin-local.py)"], check=True)
    if me(api)["role"] != "admin":
        sys.exit(f"{ADMIN['email']} was granted the admin role but logs in without it")


if __name__ == "__main__":
    main()
