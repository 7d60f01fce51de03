"""The local mail catcher: the SMTP server the engine relays what SES sends to.

Listens for SMTP on 127.0.0.1:<smtp port> (aiosmtpd) and keeps every message it receives
as a JSON file in <dir> (one per message and recipient), and serves them on
127.0.0.1:<http port>:

    GET /messages?to=<address>   every message sent to the address, oldest first:
                                 [{"to", "from", "subject", "text", "received_at"}]

Tests, tools and people running the stack locally read their codes there (`make mail`).
Usage: mailcatcher.py SMTP_PORT HTTP_PORT DIR
"""

import email
import email.policy
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def text_of(msg):
    """The message's plain-text body (its text/plain part when it has several)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


class Keeper:
    """Writes each message to DIR, once per recipient."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.seq = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        for rcpt in envelope.rcpt_tos:
            record = {"to": rcpt.lower(), "from": envelope.mail_from, "subject": str(msg.get("Subject", "")),
                      "text": text_of(msg), "received_at": time.time()}
            with self.lock:
                self.seq += 1
                name = f"{time.time_ns()}-{self.seq:06d}.json"
            tmp = os.path.join(self.directory, "." + name)
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(tmp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def messages(directory, to):
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json") or name.startswith("."):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            record = json.load(f)
        if to is None or record["to"] == to:
            out.append(record)
    return out


def api(directory):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            if url.path != "/messages":
                self.send_error(404)
                return
            to = parse_qs(url.query).get("to", [None])[0]
            body = json.dumps(messages(directory, to.lower() if to else None)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def main():
    smtp_port, http_port, directory = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    smtp = Controller(Keeper(directory), hostname=HOST, port=smtp_port)
    smtp.start()
    http = ThreadingHTTPServer((HOST, http_port), api(directory))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=http.shutdown).start())
    print(f"mail catcher: SMTP {HOST}:{smtp_port}, messages at http://{HOST}:{http_port}/messages?to=<address>",
          flush=True)
    try:
        http.serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
