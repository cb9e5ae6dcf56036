"""A real webhook receiver on 127.0.0.1 for chat delivery tests: it records every POST (JSON or form) it gets.

Usage::

    with WebhookServer() as hooks:
        url = hooks.apprise("json", "/team")      # json://127.0.0.1:PORT/team
        hooks.fail("/team", 500)                  # answer 500 until hooks.fail("/team", None)
        ...
        hooks.received("/team")[0].payload["title"]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Hook:
    """One POST the receiver got: its path, headers, raw body and the body decoded (JSON, or form fields)."""

    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any]
    status: int  # what the receiver answered


class WebhookServer:
    """A ThreadingHTTPServer that keeps every POST, answering 200 or the status set for its path."""

    def __init__(self) -> None:
        self._hooks: list[Hook] = []
        self._failing: dict[str, int] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?", 1)[0]
                status = owner._failing.get(path, 200)
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    payload = json.loads(body or b"{}")
                else:
                    payload = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
                with owner._lock:
                    owner._hooks.append(Hook(path, dict(self.headers.items()), body, payload, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def apprise(self, scheme: str, path: str, auth: str = "") -> str:
        """The Apprise URL of `path` on this server: json://, form://, xml:// (auth: "user:password@")."""
        return f"{scheme}://{auth}{HOST}:{self.port}{path}"

    def fail(self, path: str, status: int | None) -> None:
        """Answer `status` to every POST on `path` from now on; None: answer 200 again."""
        if status is None:
            self._failing.pop(path, None)
        else:
            self._failing[path] = status

    def received(self, path: str | None = None, *, accepted: bool = True) -> list[Hook]:
        """The POSTs received (on `path`), in order; only those answered 2xx unless `accepted` is False."""
        with self._lock:
            return [hook for hook in self._hooks if (path is None or hook.path == path)
                    and (not accepted or hook.status < 300)]

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
