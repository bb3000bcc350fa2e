"""A loopback HTTP server for the payout providers' real client code: it records every request (method,
path, query, headers, body) for the tests to check, answers through a per-provider ``route`` function,
and plays a ``script`` of failures first, one per request: ``"timeout"`` (nothing done, answered too late),
``"slow"`` (done, answered too late: the lost answer), or a name the provider's ``failure`` answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased (HTTP header names are case-insensitive)
    raw_headers: list[tuple[str, str]]  # as sent
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, Any, dict[str, str]]  # status, JSON body, extra headers


@dataclass
class Loopback:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    timeout_seconds: float = 1.0
    state: dict[str, Any] = field(default_factory=dict)  # the route's memory (objects made so far)


@contextmanager
def serve(route: Callable[[Loopback, Recorded], Answer],
          failure: Callable[[str], Answer]) -> Iterator[Loopback]:
    """A running server; ``route(stub, request)`` answers, ``failure(what)`` answers scripted failures."""
    holder: list[Loopback] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _handle(self) -> None:
            stub = holder[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            recorded = Recorded(self.command, parts.path, dict(parse_qsl(parts.query)),
                                {k.lower(): v for k, v in self.headers.items()}, list(self.headers.items()), body)
            stub.requests.append(recorded)
            what = stub.script.pop(0) if stub.script else None
            if what == "slow":  # done, but the answer comes too late: the client times out and retries
                status, payload, headers = route(stub, recorded)
                time.sleep(stub.timeout_seconds)
            elif what == "timeout":  # nothing done, and too late
                time.sleep(stub.timeout_seconds)
                status, payload, headers = failure("500")
            elif what:
                status, payload, headers = failure(what)
            else:
                status, payload, headers = route(stub, recorded)
            raw = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        do_GET = _handle
        do_POST = _handle
        do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(Loopback(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
