"""The chaos run's HTTP client: a tiny round-robin over the web processes, counting what went wrong.

Each request goes to the next web process; a refused or broken connection is counted and the request
is sent once more to the other one (what a load balancer's retry does), and a 503 (``database_busy``,
``Retry-After``) is retried after a short wait. 5xx answers and connection errors are counted per kind
for the report; every answer is returned, never raised.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int  # 0: no answer at all (both web processes refused or broke the connection)
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.by_status: dict[str, int] = {}
        self.connection_errors = 0
        self.unanswered = 0  # neither web process answered
        self.server_errors: dict[str, int] = {}  # "500 POST /api/v1/checkout" → n

    def add(self, key: str, table: dict[str, int]) -> None:
        with self.lock:
            table[key] = table.get(key, 0) + 1


class RoundRobin:
    def __init__(self, ports: list[int], counts: Counts, timeout: float = 30.0):
        self.ports, self.counts, self.timeout = ports, counts, timeout
        self._next = itertools.cycle(range(len(ports)))
        self._lock = threading.Lock()

    def _pick(self) -> int:
        with self._lock:
            return next(self._next)

    def _once(self, port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Answer(resp.status, resp.read())
        finally:
            conn.close()

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        first = self._pick()
        order = [first, *(i for i in range(len(self.ports)) if i != first)]
        busy_retries = 0
        answer = Answer(0, b"")
        attempt = 0
        while attempt < len(order):
            port = self.ports[order[attempt]]
            with self.counts.lock:
                self.counts.requests += 1
            try:
                answer = self._once(port, method, path, body, headers)
            except (OSError, http.client.HTTPException):
                with self.counts.lock:
                    self.counts.connection_errors += 1
                attempt += 1
                continue
            self.counts.add(str(answer.status), self.counts.by_status)
            if answer.status >= 500:
                route = path.split("?")[0]
                route = "/".join("<id>" if part.isdigit() else part for part in route.split("/"))
                self.counts.add(f"{answer.status} {method} {route}", self.counts.server_errors)
            if answer.status == 503 and busy_retries < 3:
                busy_retries += 1
                time.sleep(0.5)
                continue
            return answer
        with self.counts.lock:
            self.counts.unanswered += 1
        return answer

    def get(self, path: str, token: str | None = None) -> Answer:
        return self.request("GET", path, token=token)

    def post(self, path: str, json_body: Any = None, token: str | None = None) -> Answer:
        return self.request("POST", path, token=token, json_body=json_body if json_body is not None else {})

    def upload(self, path: str, token: str, filename: str, data: bytes, content_type: str = "image/jpeg") -> Answer:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, token=token, body=body,
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
