"""A real HTTP server on 127.0.0.x for tests: routes with status, headers, body and misbehaviours."""

from __future__ import annotations

import hashlib
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, size caps) are expected here, not worth a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _QuietServer6(_QuietServer):
    address_family = socket.AF_INET6


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = False  # answer 304 to a matching If-None-Match
    last_modified: str | None = None  # send it, and answer 304 to a matching If-Modified-Since
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between single bytes of the body
    reset_after: int | None = None  # send this many body bytes, then reset the connection
    hang: bool = False  # accept the request and never answer
    reason: str | None = None  # the status line's reason phrase (default: the standard one)


class InFlight:
    """Counts requests being served at once (optionally shared by several servers)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


class FeedServer:
    """Serve Route objects by path; records every request for assertions."""

    def __init__(self, host: str = "127.0.0.1", inflight: InFlight | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.bodies: list[tuple[str, bytes]] = []  # (path, body) of each POST, answered as a GET of the path
        self.inflight = inflight or InFlight()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                with server.inflight:
                    self._answer(route)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append((self.path, self.rfile.read(length)))
                self.do_GET()

            def _answer(self, route: Route | None) -> None:
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                if route.hang:
                    server.stopping.wait(60)
                    return
                if route.delay:
                    time.sleep(route.delay)
                headers = dict(route.headers)
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                    if self.headers.get("If-Modified-Since") == route.last_modified:
                        self._send(304, b"", route.content_type, headers)
                        return
                if route.etag:
                    tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers["ETag"] = tag
                    if self.headers.get("If-None-Match") == tag:
                        self._send(304, b"", route.content_type, headers)
                        return
                if route.reset_after is not None:
                    self._send_headers(route.status, route.content_type, headers, len(route.body))
                    self.wfile.write(route.body[: route.reset_after])
                    self.wfile.flush()
                    # SO_LINGER 0 turns close() into a TCP reset; the file objects hold the fd too.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.wfile.close()
                    self.rfile.close()
                    self.connection.close()
                    return
                if route.trickle:
                    self._send_headers(route.status, route.content_type, headers, len(route.body))
                    for i in range(len(route.body)):
                        if server.stopping.is_set():
                            return
                        self.wfile.write(route.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(route.trickle)
                    return
                self._send(route.status, route.body, route.content_type, headers, route.reason)

            def _send_headers(self, status: int, ctype: str, headers: dict[str, str], length: int,
                              reason: str | None = None) -> None:
                self.send_response(status, reason)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(length))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()

            def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str],
                      reason: str | None = None) -> None:
                self._send_headers(status, ctype, headers, len(body), reason)
                if body and status != 304:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server_class = _QuietServer6 if ":" in host else _QuietServer
        self.httpd = server_class((host, 0), Handler)
        self.httpd.daemon_threads = True
        # a short poll interval: shutdown() waits for it, once per test
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        """http://127.0.0.x:PORT"""
        host, port = self.httpd.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        """Register a route and return its URL."""
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> int:
        """How many times a path was requested."""
        return sum(1 for p, _ in self.requests if p == path)

    def start(self) -> FeedServer:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
