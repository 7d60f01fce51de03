#!/usr/bin/env python3
"""Prints what the local stack emailed, from the mail catcher the engine's SES relays to
(tools/mailcatcher.py, started with the engine): the latest messages, or one address's.

Usage: mail.py [EMAIL]          the latest messages (to EMAIL only, when given)
       mail.py --code EMAIL     the latest code sent to EMAIL (waits a few seconds for it)
"""
import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request

from localapi import latest_code

SHOWN = 10


def main():
    p = argparse.ArgumentParser()
    p.add_argument("email", nargs="?")
    p.add_argument("--code", action="store_true")
    args = p.parse_args()
    if args.code:
        if not args.email:
            sys.exit("--code needs an EMAIL")
        print(latest_code(args.email.strip().lower()))
        return
    base = os.environ["WALLET_MAIL_URL"]
    query = "?to=" + urllib.parse.quote(args.email.strip().lower()) if args.email else ""
    with urllib.request.urlopen(f"{base}/messages{query}", timeout=5) as resp:
        messages = json.loads(resp.read())
    if not messages:
        print(f"no mail yet ({base}/messages{query})")
    for m in messages[-SHOWN:]:
        when = time.strftime("%H:%M:%S", time.localtime(m["received_at"]))
        print(f"--- {when} to {m['to']} from {m['from']}: {m['subject']}\n{m['text'].strip()}\n")


if __name__ == "__main__":
    main()
