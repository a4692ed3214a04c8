"""A fake teamsite API on loopback (http.server, standard library only), so the
client's behaviour is tested in isolation: no Django, no database.

The fake answers the routes the client calls the way the real API does (it
creates runs, stores history by batch_id once, answers heartbeats with
stop_requested...) and records every request. A test changes the answer to
the next `times` requests to a route with `server.answer(route, status, body,
headers, times)`, or takes the whole server away with `server.offline = True`
(the connection is closed without an answer, as a dead server or a reset
would).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUN_PATH = re.compile(r"^/api/v1/teams/(?P<team>[^/]+)/projects/(?P<project>[^/]+)/runs(?:/(?P<run>[^/]+)(?:/(?P<action>[^/?]+))?)?$")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    answered: bool = True  # False: it came while the server was offline
    at: float = field(default_factory=time.monotonic)

    @property
    def route(self) -> str:
        """"create", "run" (GET/PATCH the run), "history", "heartbeat", "viewer"..."""
        if self.path == "/api/v1/viewer":
            return "viewer"
        match = RUN_PATH.match(self.path)
        if not match:
            return self.path
        if match["run"] is None:
            return "create"
        return match["action"] or "run"


class FakeServer:
    def __init__(self):
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.offline = False
        self.stop_requested = False
        self.teams = ["vision"]
        self.runs: dict[str, dict] = {}
        self.batches: dict[tuple[str, str], int] = {}  # (kind, batch_id) -> points stored
        self.points: dict[str, list[tuple[int, str, Any]]] = {"history": [], "system-metrics": []}
        self._answers: list[list] = []  # [route, status, body, headers, times left]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, route, status, body=None, headers=None, times=1):
        """The next `times` requests to `route` get this answer instead of the usual one."""
        with self.lock:
            self._answers.append([route, status, body, headers or {}, times])

    # --- what the tests read -----------------------------------------------------------

    def sent(self, route=None, method=None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if (route is None or r.route == route) and (method is None or r.method == method)]

    def steps(self, key, kind="history") -> list[int]:
        with self.lock:
            return [step for step, name, _ in self.points[kind] if name == key]

    def values(self, key, kind="history") -> list:
        with self.lock:
            return [value for _, name, value in self.points[kind] if name == key]

    def end_states(self) -> list[str]:
        return [r.body["state"] for r in self.sent("run", "PATCH") if "state" in r.body]

    def merged(self, name) -> dict:
        """config or summary as the server would hold it after every PATCH (null deletes)."""
        result: dict = {}
        for request in self.sent("run", "PATCH"):
            for key, value in request.body.get(name, {}).items():
                if value is None:
                    result.pop(key, None)
                else:
                    result[key] = value
        return result

    # --- answering -------------------------------------------------------------------

    def handle(self, request: Request):
        with self.lock:
            self.requests.append(request)
            for planned in self._answers:
                if planned[0] == request.route and planned[4] > 0:
                    planned[4] -= 1
                    return planned[1], planned[2], planned[3]
        return self._usual(request)

    def _usual(self, request: Request):
        route, body = request.route, request.body
        match = RUN_PATH.match(request.path)
        if route == "viewer":
            return 200, {"username": "ada", "teams": [{"team": team} for team in self.teams]}, {}
        if route == "create":
            run_id = body["run_id"]
            if run_id in self.runs:
                return 409, {"error": {"code": "conflict", "message": f"A run {run_id} exists."}}, {}
            self.runs[run_id] = {"run_id": run_id, "name": body.get("name") or run_id, "project": match["project"],
                                 "config": body.get("config") or {}, "summary": {}}
            return 200, self.runs[run_id], {}
        if route == "run" and request.method == "GET":
            return 200, self.runs[match["run"]], {}
        if route in ("history", "system-metrics"):
            return 200, {"accepted": self._store(route, body)}, {}
        if route == "heartbeat":
            return 200, {"stop_requested": self.stop_requested}, {}
        return 200, {}, {}

    def _store(self, kind, body):
        key = (kind, body["batch_id"])
        with self.lock:
            if key in self.batches:
                return 0
            if "columns" in body:
                cols = body["columns"]
                rows = [(step, {k: v[i] for k, v in cols["values"].items() if v[i] is not None}) for i, step in enumerate(cols["step"])]
            else:
                rows = [(row["step"], row["values"]) for row in body["rows"]]
            points = [(step, name, value) for step, values in rows for name, value in values.items()]
            self.points[kind].extend(points)
            self.batches[key] = len(points)
            return len(points)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _serve(self):
        fake: FakeServer = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = raw
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            body = json.loads(raw)
        request = Request(self.command, self.path, dict(self.headers), body, answered=not fake.offline)
        if fake.offline:
            with fake.lock:
                fake.requests.append(request)
            self.close_connection = True  # no answer at all: the client sees a dropped connection
            return
        status, answer, headers = fake.handle(request)
        payload = json.dumps(answer if answer is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = _serve


def wait_for(condition, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
