"""What every loopback server shares: a stdlib HTTP server on 127.0.0.1, run in a thread for a block.

- ``LoopbackHTTPServer``: a ``ThreadingHTTPServer`` on ``127.0.0.1`` (a free port) with daemon
  handler threads and a backlog of 128 (the default of 5 drops SYNs under parallel clients: 1 s
  stalls). It carries the fake service's state as ``backend``; ``url`` is ``http://127.0.0.1:PORT``.
- ``serve(server, name)``: ``serve_forever`` in a daemon thread for the ``with`` block, then
  shutdown, close and join.
- ``started(server)``: ``start()`` for the block, ``stop()`` after it (servers with their own loop).
- ``LoopbackHandler``: HTTP/1.1, quiet, one segment per reply (headers and body are buffered and
  leave together: no 40 ms delayed-ACK stall per call), with ``read_body()`` and ``reply()``.
- ``ServiceError``: a vendor error to answer with (HTTP status, error code, message).
- ``InjectedFailures`` and ``MovableClock``: mixins for a fake service's state (``fail_next(n)`` /
  ``take_failure()``; ``now()`` / ``advance(seconds)``), both under the subclass's ``_lock``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many client threads connect at once (the concurrency tests)

    def __init__(self, handler: type[BaseHTTPRequestHandler], backend: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.backend = backend

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def serve(server: ThreadingHTTPServer, name: str, poll_interval: float = 0.01) -> Iterator[None]:
    """Serve in a daemon thread for the ``with`` block; then shut down, close and join."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval},
                              name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Startable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=_Startable)


@contextlib.contextmanager
def started(server: S) -> Iterator[S]:
    """``server.start()`` for the ``with`` block, ``server.stop()`` after it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


class LoopbackHandler(BaseHTTPRequestHandler):
    server: LoopbackHTTPServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one segment (flushed after each request)
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes = b"",
              headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), *,
              content_length: int | None = None) -> None:
        """Send ``status``, ``headers``, a Content-Length (``len(body)`` unless given), then ``body``."""
        self.send_response(status)
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        if body:
            self.wfile.write(body)


class ServiceError(Exception):
    """An error the fake service answers with: HTTP ``status``, vendor ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message


class InjectedFailures:
    """``fail_next(n)``: the next n requests fail. The subclass provides ``_lock``."""

    _lock: Any
    _failures = 0

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures += count

    def take_failure(self) -> bool:
        """Whether this request is one of those ``fail_next`` asked for (and use it up)."""
        with self._lock:
            if self._failures > 0:
                self._failures -= 1
                return True
            return False


class MovableClock:
    """The fake service's clock: real time plus what ``advance`` added. The subclass provides ``_lock``."""

    _lock: Any
    _offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (expiries and visibility timeouts follow it)."""
        with self._lock:
            self._offset += seconds
