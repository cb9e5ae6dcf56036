"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests, and the ways one misbehaves.

`ChatServer` answers `POST /v1/chat/completions` with `answer(messages)` as the assistant's text,
or, by `mode`: "500" (an HTTP error), "garbage" (not JSON), "no-choices" (JSON without choices),
"hang" (sleeps `hang_seconds` before answering). It records every request's JSON body and headers
and the peak number of requests served at once. `transformers_serve` starts the real
`transformers serve` on a model directory, or says why it cannot.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from httpserver import InFlight

Answer = Callable[[list[dict[str, str]]], str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class ChatServer:
    """A chat-completions endpoint at `base_url` (http://127.0.0.1:PORT/v1)."""

    def __init__(self, answer: Answer, mode: str = "ok", hang_seconds: float = 5.0, port: int = 0) -> None:
        self.answer, self.mode, self.hang_seconds = answer, mode, hang_seconds
        self.requests: list[tuple[dict, dict[str, str]]] = []
        self.inflight = InFlight()
        self.stopping = threading.Event()
        chat = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                chat.requests.append((body, {k.lower(): v for k, v in self.headers.items()}))
                with chat.inflight:
                    status, payload = chat.reply(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The API root, as `summarizer.base_url` takes it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply(self, path: str, body: dict) -> tuple[int, bytes]:
        """(status, body) for one request, by mode."""
        if path != "/v1/chat/completions":
            return 404, b'{"error": "not found"}'
        if self.mode == "hang":
            self.stopping.wait(self.hang_seconds)
        if self.mode == "500":
            return 500, b'{"error": {"message": "CUDA out of memory"}}'
        if self.mode == "garbage":
            return 200, b"<html>this is not JSON</html>"
        if self.mode == "no-choices":
            return 200, json.dumps({"object": "chat.completion", "choices": []}).encode()
        text = self.answer(body.get("messages") or [])
        return 200, json.dumps({"object": "chat.completion", "model": body.get("model"), "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}).encode()

    def start(self) -> ChatServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (a hanging request is released)."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def transformers_serve(model: Path, log: Path, wait: float = 120.0) -> tuple[subprocess.Popen | None, str, str]:
    """Start `transformers serve MODEL` on 127.0.0.1, offline: (process, base_url, "") once /health
    answers, or (None, "", why it cannot run) when the command or its extras are missing or it fails."""
    command = Path(sys.executable).with_name("transformers")
    if not command.exists():
        found = shutil.which("transformers")
        if found is None:
            return None, "", "the `transformers` command is not installed next to this Python"
        command = Path(found)
    missing = [name for name in ("fastapi", "uvicorn", "openai", "accelerate") if not _importable(name)]
    if missing:
        return None, "", f"`transformers serve` needs {', '.join(missing)} (pip install techwatch[test])"
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen([str(command), "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
                                    "--device", "cpu", "--log-level", "warning"], stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while time.monotonic() - started < wait:
        if process.poll() is not None:
            return None, "", f"`transformers serve` exited with {process.returncode}: {_tail(log)}"
        try:
            if httpx.get(f"{base}/health", timeout=2, trust_env=False).status_code == 200:
                return process, f"{base}/v1", ""
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    process.wait(10)
    return None, "", f"`transformers serve` did not answer /health within {wait:.0f} s: {_tail(log)}"


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(no output)"
