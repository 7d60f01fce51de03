"""The web app on the local stack: one origin for the app and the API, as CloudFront gives
it on AWS. Serves the built app (web/dist) and forwards /v1/* to the API deployed on the
engine (the LocalApiUrl output), with the security headers of template.yaml's
response-headers policy on every answer. Listens on 127.0.0.1 only.

The engine's CloudFront serves an S3 origin but refuses an API Gateway origin (an
AWS-owned host name) with 502, so the /v1/* behaviour cannot run there; see
localstack/MINISTACK_GAPS.md.

    python3 scripts/webserve.py --port 4621 --outputs .local/outputs.json --dist web/dist
"""
import argparse
import http.client
import http.server
import json
import mimetypes
import os
import re
import sys
import time
import urllib.parse

# Kept equal to WebHeadersPolicy in template.yaml (scripts/webserve_test.py checks it).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Hop-by-hop headers (RFC 9110 section 7.6.1) are not forwarded.
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
# How long the proxy waits for the API, in seconds (above the API's own 29 s limit).
API_TIMEOUT_SECONDS = 35


def make_handler(dist, api):
    api_url = urllib.parse.urlsplit(api)
    dist = os.path.realpath(dist)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the engine's log has the API calls
            pass

        def security(self):
            for k, v in SECURITY_HEADERS.items():
                self.send_header(k, v)

        def do_GET(self):
            self.route()

        do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

        def route(self):
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/v1/") or path == "/v1":
                return self.proxy()
            if self.command not in ("GET", "HEAD"):
                return self.answer(405, b"method not allowed", "text/plain")
            return self.static(path)

        def answer(self, status, body, ctype, extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.security()
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def static(self, path):
            rel = "index.html" if path in ("", "/") else path.lstrip("/")
            full = os.path.realpath(os.path.join(dist, rel))
            if not full.startswith(dist + os.sep) or not os.path.isfile(full):
                return self.answer(404, b"not found", "text/plain")
            with open(full, "rb") as f:
                body = f.read()
            ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript", "text/javascript"):
                ctype += "; charset=utf-8"
            cache = "public, max-age=31536000, immutable" if rel.startswith("assets/") else "no-cache"
            self.answer(200, body, ctype, [("Cache-Control", cache)])

        def proxy(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn = http.client.HTTPConnection(api_url.hostname, api_url.port, timeout=API_TIMEOUT_SECONDS)
            started = time.monotonic()
            path = urllib.parse.urlsplit(self.path).path  # no query string in the log
            try:
                conn.request(self.command, api_url.path.rstrip("/") + self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except OSError as e:
                print(f"web: {self.command} {path} -> no answer after {time.monotonic() - started:.1f} s: {e}", file=sys.stderr, flush=True)
                return self.answer(502, json.dumps({"error": {"code": "internal_error", "message": f"the local API did not answer: {e}"}}).encode(), "application/json")
            finally:
                conn.close()
            print(f"web: {self.command} {path} -> {resp.status} in {(time.monotonic() - started) * 1000:.0f} ms", file=sys.stderr, flush=True)
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.security()
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--outputs", default=".local/outputs.json")
    p.add_argument("--dist", default="web/dist")
    a = p.parse_args()
    with open(a.outputs) as f:
        api = json.load(f)["LocalApiUrl"]
    if not os.path.isfile(os.path.join(a.dist, "index.html")):
        sys.exit(f"{a.dist}/index.html is missing: build the app first (make web)")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(a.dist, api))
    srv.daemon_threads = True
    print(f"web: serving {a.dist} and /v1/* -> {api} on http://127.0.0.1:{a.port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
