"""Tests for the launcher's event-driven server loop (python -m unittest, run by make test)."""

import os
import socket
import socketserver
import threading
import time
import unittest

import engine_launch


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(16))


class PolicyResourceMatch(unittest.TestCase):
    ARN = "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/DELETE/v1/auth/sessions/"

    def test_wildcards(self):
        cases = [
            ("a stage-wide grant covers a path", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/*", self.ARN + "s-1", True),
            ("a newline in a path parameter is still covered", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/*", self.ARN + "a\nb", True),
            ("another stage is not", "arn:aws:execute-api:us-east-1:000000000000:abc123/prod/*", self.ARN + "s-1", False),
            ("? is one character", "arn:aws:execute-api:us-east-1:000000000000:abc123/de?/*", self.ARN + "s-1", True),
            ("? is not two", "arn:aws:execute-api:us-east-1:000000000000:abc123/d?/*", self.ARN + "s-1", False),
            ("other characters are themselves", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/v1.me", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/v1xme", False),
            ("the whole ARN, not a prefix", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev", self.ARN + "s-1", False),
        ]
        for name, pattern, arn, want in cases:
            with self.subTest(name):
                self.assertEqual(engine_launch.arn_matches(pattern, arn), want)


class EventDrivenServerLoop(unittest.TestCase):
    def setUp(self):
        # An hour-long idle sleep: if anything still depended on the loop waking up
        # by itself, the shutdown test would hang instead of pass.
        self.saved_idle = engine_launch.SERVER_IDLE_SECONDS
        engine_launch.SERVER_IDLE_SECONDS = 3600
        self.saved = {name: getattr(socketserver.ThreadingTCPServer, name)
                      for name in ("serve_forever", "shutdown", "server_close")}
        socketserver.ThreadingTCPServer.serve_forever = engine_launch._serve_until_shutdown
        socketserver.ThreadingTCPServer.shutdown = engine_launch._shutdown_now
        socketserver.ThreadingTCPServer.server_close = engine_launch._close_with_pipe

    def tearDown(self):
        engine_launch.SERVER_IDLE_SECONDS = self.saved_idle
        for name, method in self.saved.items():
            setattr(socketserver.ThreadingTCPServer, name, method)

    def start(self):
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoHandler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
        thread.start()
        return server, thread

    def test_serves_requests(self):
        server, thread = self.start()
        try:
            for payload in (b"one", b"two"):
                with socket.create_connection(server.server_address, timeout=5) as conn:
                    conn.sendall(payload)
                    self.assertEqual(conn.recv(16), payload)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    def test_shutdown_wakes_the_loop_at_once_and_close_frees_the_pipe(self):
        server, thread = self.start()
        time.sleep(0.2)  # let the loop reach select
        state = server.__dict__["_engine_launch_loop"]
        stopper = threading.Thread(target=server.shutdown)
        stopper.start()
        stopper.join(30)
        thread.join(30)
        self.assertFalse(stopper.is_alive(), "shutdown did not wake the loop")
        self.assertFalse(thread.is_alive())
        server.server_close()
        for fd in (state.wake_read, state.wake_write):
            with self.assertRaises(OSError):
                os.fstat(fd)

    def test_loop_does_not_wake_while_idle(self):
        server, thread = self.start()
        calls = []
        server.service_actions = lambda: calls.append(1)
        try:
            time.sleep(1.0)
            # A 0.1 s poll would have run service_actions about ten times.
            self.assertEqual(len(calls), 0)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


if __name__ == "__main__":
    unittest.main()
