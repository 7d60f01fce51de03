"""What the measurement scripts share: calls to the API deployed on the local stack."""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ENGINE = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
PASSWORD = "correct horse battery staple"


# The deploy's outputs: .local/outputs.json, or where lib.sh's engine_env says (a check
# with an engine of its own, such as scripts/restart-check.sh, keeps them elsewhere).
OUTPUTS = os.environ.get("WALLET_OUTPUTS_FILE", ".local/outputs.json")


def api_url():
    """The running stack's API base URL (written by the deploy to OUTPUTS)."""
    return outputs()["LocalApiUrl"].rstrip("/")


def outputs():
    with open(OUTPUTS) as f:
        return json.load(f)


def call(api, method, path, body=None, token=None, headers=None):
    """One request; returns (status, decoded JSON body, milliseconds)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(api + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    return status, json.loads(raw or b"{}"), (time.perf_counter() - start) * 1000


def must(status, body, want, what):
    """body when the answer is the one wanted; else the script stops, naming the step."""
    if status != want:
        sys.exit(f"{what} answered {status}: {body}")
    return body


CODE = re.compile(r"\b(\d{6})\b")


def latest_code(email, wait_seconds=20):
    """The latest code emailed to the address, read from the local mail catcher
    (WALLET_MAIL_URL, set by scripts/lib.sh engine_env); SES relays it a moment after
    the API answered, so this polls."""
    base = os.environ.get("WALLET_MAIL_URL")
    if not base:
        sys.exit("WALLET_MAIL_URL is not set: run through the make targets (scripts/lib.sh engine_env)")
    deadline = time.monotonic() + wait_seconds
    while True:
        with urllib.request.urlopen(f"{base}/messages?to={urllib.parse.quote(email)}", timeout=5) as resp:
            messages = json.loads(resp.read())
        for m in reversed(messages):
            found = CODE.search(m["text"])
            if found:
                return found.group(1)
        if time.monotonic() > deadline:
            sys.exit(f"no code emailed to {email} within {wait_seconds}s")
        time.sleep(0.1)


def verify(api, email):
    """Verifies the address with the code emailed to it."""
    status, body, _ = call(api, "POST", "/v1/auth/verify", {"email": email, "code": latest_code(email)})
    return must(status, body, 200, "verify email")


def new_user(api, prefix):
    """Signs up, verifies and logs in a fresh user: its access token."""
    email = f"{prefix}-{uuid.uuid4().hex[:12]}@wallet.test"
    status, body, _ = call(api, "POST", "/v1/auth/signup", {"email": email, "password": PASSWORD, "name": prefix})
    must(status, body, 202, "signup")
    verify(api, email)
    status, body, _ = call(api, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    return must(status, body, 200, "login")["access_token"]


def user_with_wallet(api, prefix):
    """A fresh user with a new USD wallet: (token, wallet id)."""
    token = new_user(api, prefix)
    status, body, _ = call(api, "POST", "/v1/wallets", {"currency": "USD"}, token)
    return token, must(status, body, 201, "create wallet")["id"]
