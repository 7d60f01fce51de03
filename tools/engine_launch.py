"""Start the local AWS engine (MiniStack) with quiet idle Lambda environments.

MiniStack 1.5.33 keeps one Python HTTP server per warm `provided.*` Lambda
environment (the Lambda Runtime API the Go bootstrap long-polls). Each idle
environment wakes the engine's interpreter about 20 times a second: its server
loop polls its socket every 0.1 s to notice a shutdown request, and the handler
serving the bootstrap's `GET /runtime/invocation/next` polls the event queue
every 0.1 s to notice a stop. After a concurrency burst a few hundred such
environments stay warm, and their wake-ups compete for the interpreter's one
lock with the threads doing the work; on a machine with a busy core the engine
then stalled for tens of seconds and invocations timed out
(localstack/MINISTACK_GAPS.md, 15).

This launcher is local tooling only: it changes how the engine waits, not what
it does. Before starting MiniStack it replaces

- the server loop of those environments with one that sleeps in `select` until
  a connection arrives or `shutdown()` writes to a wake-up pipe (no polling), and
- the `/next` handler's wait with one that blocks on the event queue and checks
  its stop flag every IDLE_CHECK_SECONDS instead of every 0.1 s.

It also replaces the REST API's match of an authorizer policy's Resource
against the method ARN with one where `*` matches any characters, a newline
among them, as IAM's wildcard does: the engine's regular expression has `.`
stop at a newline, so a path parameter with an encoded newline (`%0A`) was
denied by an `execute-api:Invoke` on `<stage>/*` and answered 403 (gap 32).

And it restarts each DynamoDB stream mapping of a restored engine (make run keeps the
engine's state across restarts) at the stream's first record: MiniStack saves each
mapping's position in the stream with the mapping, but not the stream's records, so a
restored stream starts again at position 0 while its mapping waits at the thousands of
records it had read before the restart. Nothing written after a restart reached the
stream's consumer (PublishEvents): no event, notification or reward (gap 33).

The patches are applied only to the MiniStack version they were written against
(tools/engine-requirements.txt pins it); any other version starts unpatched,
with a warning. ENGINE_QUIET_IDLE=0 starts it without the idle patches, and
ENGINE_ARN_GLOB=0 without the policy match and ENGINE_STREAM_RESUME=0 without the
restart of the stream mappings, on purpose, to reproduce the gaps.
"""

import json
import os
import queue
import re
import selectors
import socketserver
import sys
import threading
from importlib import metadata

PATCHED_VERSION = "1.5.33"

# How often an idle environment's /next handler looks at its stop flag. A
# stopped environment's handler thread lingers at most this long; nothing waits
# for it (the servers run daemon handler threads).
IDLE_CHECK_SECONDS = 2.0

# How long the server loop sleeps when nothing happens. It wakes at once for a
# connection or a shutdown; this bound only paces `service_actions()`.
SERVER_IDLE_SECONDS = 5.0


class _LoopState:
    """Per-server wake-up pipe and flags for the event-driven server loop."""

    def __init__(self):
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        self.stop = False
        self.stopped = threading.Event()
        self.closed = False


_states_lock = threading.Lock()


def _loop_state(server) -> _LoopState:
    with _states_lock:
        state = server.__dict__.get("_engine_launch_loop")
        if state is None:
            state = _LoopState()
            server.__dict__["_engine_launch_loop"] = state
        return state


def _serve_until_shutdown(self, poll_interval=None):
    """serve_forever without a poll: select on the socket and the wake-up pipe."""
    state = _loop_state(self)
    state.stopped.clear()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(state.wake_read, selectors.EVENT_READ)
            while not state.stop:
                ready = selector.select(SERVER_IDLE_SECONDS)
                if state.stop:
                    break
                for key, _ in ready:
                    if key.fileobj is self:
                        self._handle_request_noblock()
                    else:
                        _drain(state.wake_read)
                self.service_actions()
    finally:
        state.stop = False
        state.stopped.set()


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 64):
            pass
    except (BlockingIOError, OSError):
        pass


def _shutdown_now(self):
    """Stop the loop at once: set the flag, wake the select, wait for the loop."""
    state = _loop_state(self)
    state.stop = True
    try:
        os.write(state.wake_write, b"x")
    except OSError:
        pass
    state.stopped.wait()


_original_server_close = socketserver.ThreadingTCPServer.server_close


def _close_with_pipe(self):
    _original_server_close(self)
    state = self.__dict__.get("_engine_launch_loop")
    if state is None or state.closed:
        return
    state.closed = True
    for fd in (state.wake_read, state.wake_write):
        try:
            os.close(fd)
        except OSError:
            pass


def _quiet_handler_class(original_build):
    """Wrap ProvidedWorker._build_handler_class so /next blocks instead of polling."""

    def build(worker, generation, pending):
        base = original_build(worker, generation, pending)

        class QuietRuntimeAPIHandler(base):
            def do_GET(self):
                if "/runtime/invocation/next" not in self.path:
                    self._respond(404)
                    return
                if not worker._mark_first_poll(generation):
                    self._stopped()
                    return
                while True:
                    if worker._stopping or generation != worker._generation:
                        self._stopped()
                        return
                    try:
                        item = pending.get(timeout=IDLE_CHECK_SECONDS)
                        break
                    except queue.Empty:
                        continue
                request_id, event, deadline_ms, trace_id, function_arn = item
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline_ms))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", function_arn)
                if trace_id:
                    self.send_header("Lambda-Runtime-Trace-Id", trace_id)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return QuietRuntimeAPIHandler

    return build


def arn_matches(pattern, arn):
    """An IAM policy Resource against an ARN: `*` is any run of characters (newlines
    too), `?` any one character, everything else itself."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn, re.DOTALL) is not None


def _patch_arn_glob() -> bool:
    if os.environ.get("ENGINE_ARN_GLOB", "1") == "0" or metadata.version("ministack") != PATCHED_VERSION:
        return False
    from ministack.services import apigateway_v1

    apigateway_v1._arn_matches = arn_matches
    return True


def resume_streams_at_start(positions) -> None:
    """Every DynamoDB stream mapping's position set to 0: where the first record of a
    restored, empty stream will be."""
    for scoped_key in list(positions._data):
        positions._data[scoped_key] = 0


def _patch_stream_resume() -> bool:
    if os.environ.get("ENGINE_STREAM_RESUME", "1") == "0" or metadata.version("ministack") != PATCHED_VERSION:
        return False
    from ministack.services import lambda_svc

    restore = lambda_svc.load_persisted_state

    def load_persisted_state(data):
        restore(data)
        with lambda_svc._dynamodb_stream_positions_lock:
            resume_streams_at_start(lambda_svc._dynamodb_stream_positions)

    lambda_svc.load_persisted_state = load_persisted_state
    return True


def _patch() -> bool:
    if os.environ.get("ENGINE_QUIET_IDLE", "1") == "0":
        return False
    version = metadata.version("ministack")
    if version != PATCHED_VERSION:
        print(f"engine_launch: MiniStack {version} is not {PATCHED_VERSION}; starting it unpatched",
              file=sys.stderr)
        return False
    from ministack.core import lambda_runtime

    worker_class = lambda_runtime.ProvidedWorker
    socketserver.ThreadingTCPServer.serve_forever = _serve_until_shutdown
    socketserver.ThreadingTCPServer.shutdown = _shutdown_now
    socketserver.ThreadingTCPServer.server_close = _close_with_pipe
    worker_class._build_handler_class = _quiet_handler_class(worker_class._build_handler_class)
    return True


def main() -> int:
    patched = _patch()
    print(f"engine_launch: idle Lambda environments {'event-driven' if patched else 'polling (unpatched)'}",
          file=sys.stderr)
    globbed = _patch_arn_glob()
    print(f"engine_launch: authorizer policy wildcards {'match newlines' if globbed else 'as the engine has them (unpatched)'}",
          file=sys.stderr)
    resumed = _patch_stream_resume()
    print(f"engine_launch: stream mappings of a restored engine {'start at the stream head' if resumed else 'keep their saved positions (unpatched)'}",
          file=sys.stderr)
    from ministack.app import main as ministack_main

    sys.argv[0] = "ministack"
    return ministack_main() or 0


if __name__ == "__main__":
    sys.exit(main())
