"""`render: chromium`: a page built by JavaScript, rendered by Debian's headless chromium (--dump-dom).

A page's scripts are hostile code, run here under these limits:

- the address is checked by the egress policy first, exactly as a fetch is, and chromium is pinned to
  the checked address (--host-resolver-rules): every other host name fails to resolve, and every other
  origin goes to a proxy that does not exist, loopback included (--proxy-bypass-list names only the page's
  own origin): the page reaches its own origin and nothing else, so no intranet, no tracker, no CDN;
- a throwaway profile (--user-data-dir in a temporary directory, removed afterwards), no extensions,
  no background networking, no images, muted audio;
- a virtual-time budget (timers and network idle end the page's time), a hard wall-clock timeout after
  which the whole process group is killed, and a cap on the size of the DOM read back;
- the sandbox stays on, except when running as root, where chromium refuses to start with it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpcore

from ..errors import EgressRefused, RenderError
from ..records import FetchResult, FetchSettings
from .egress import EgressPolicy, is_address_literal, origin_of, resolve

CHROMIUM = "chromium"  # Debian's package and command
VIRTUAL_TIME_MS = 5000  # the page's scripts get this much virtual time to build the page
RENDER_TIMEOUT_SECONDS = 30.0  # wall clock, the whole chromium run
# A port nothing listens on: every request chromium would send elsewhere than the page's origin fails there.
_NOWHERE_PROXY = "http://127.0.0.1:9"
_STDERR_TAIL = 2000


def chromium_path() -> str | None:
    """Where the chromium command is, or None when it is not installed."""
    return shutil.which(CHROMIUM)


def render_result(result: FetchResult, settings: FetchSettings, timeout: float = RENDER_TIMEOUT_SECONDS) -> FetchResult:
    """The fetched page with its content replaced by the DOM chromium rendered from its final address."""
    html = render_page(result.final_url, settings, timeout)
    return replace(result, content=html, content_type="text/html; charset=utf-8", etag=None, last_modified=None)


def render_page(url: str, settings: FetchSettings, timeout: float = RENDER_TIMEOUT_SECONDS) -> bytes:
    """The DOM of `url` after its scripts ran in headless chromium (UTF-8 HTML); raises RenderError."""
    binary = chromium_path()
    if binary is None:
        raise RenderError("render: chromium is set but chromium is not installed (Debian: apt install chromium)",
                          url=url)
    origin = origin_of(url)
    if origin is None:
        raise EgressRefused(f"not rendered: {url!r} is not an http(s) URL", url=url)
    scheme, host, port = origin
    address = _checked_address(url, host, port, EgressPolicy(settings.trusted_origins, tuple(settings.allow_networks)))
    own = f"{scheme}://{_bracketed(host)}:{port}"
    with tempfile.TemporaryDirectory(prefix="techwatch-chromium-") as profile:
        command = [
            binary, "--headless", "--disable-gpu", *(["--no-sandbox"] if _is_root() else []),
            f"--user-data-dir={profile}", "--disable-extensions", "--disable-background-networking",
            "--disable-sync", "--disable-component-update", "--disable-default-apps", "--no-first-run",
            "--no-default-browser-check", "--disable-breakpad", "--mute-audio", "--incognito",
            "--blink-settings=imagesEnabled=false", f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            f"--proxy-server={_NOWHERE_PROXY}", f"--proxy-bypass-list=<-loopback>;{own}",
            f"--host-resolver-rules={_resolver_rules(host, address)}",
            f"--user-agent={settings.user_agent}", "--dump-dom", url,
        ]
        return _run(command, Path(profile), url, timeout, settings.max_bytes)


def _checked_address(url: str, host: str, port: int, policy: EgressPolicy) -> str | None:
    """The address chromium is pinned to: checked by the egress policy unless the origin is trusted."""
    literal = is_address_literal(host)
    if literal:
        addresses = [host.strip("[]")]
    else:
        try:
            addresses = [sockaddr[0].split("%")[0] for _family, sockaddr in resolve(host, port)]
        except httpcore.ConnectError as exc:  # the name does not resolve
            raise RenderError(f"not rendered: {exc}", url=url) from None
    if not policy.trusts(url):
        for address in addresses:
            reason = policy.refusal(ipaddress.ip_address(address))
            if reason:
                where = reason.replace(", a ", " is a ", 1) if literal else f"{host} resolves to {reason}"
                raise EgressRefused(f"not rendered: {where}: pages are rendered only from "
                                    "public addresses (intranet: settings.fetch.allow_networks)", url=url)
    return None if literal else addresses[0]


def _resolver_rules(host: str, address: str | None) -> str:
    """Every host name fails to resolve but the page's, which resolves to the address that was checked."""
    if address is None:  # an address literal: nothing to resolve
        return f"MAP * ~NOTFOUND , EXCLUDE {host}"
    return f"MAP {host} {_bracketed(address)} , MAP * ~NOTFOUND"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _is_root() -> bool:
    return os.geteuid() == 0  # POSIX only, as chromium's process group handling here


def _run(command: list[str], profile: Path, url: str, timeout: float, max_bytes: int) -> bytes:
    """Run chromium in its own process group; read at most `max_bytes` of DOM; kill the group on any limit."""
    with open(profile / "stderr.txt", "w+b") as errors:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                       start_new_session=True, env={**os.environ, "HOME": str(profile)})
        except OSError as exc:
            raise RenderError(f"chromium could not be started: {exc}", url=url) from None
        deadline = time.monotonic() + timeout
        try:
            out = _read_capped(process, url, deadline, timeout, max_bytes)
            _wait_unreaped(process, deadline, timeout)
        finally:
            _kill_group(process)
        code = process.returncode
        if code != 0 or not out.strip():
            errors.seek(0, os.SEEK_END)
            errors.seek(max(0, errors.tell() - _STDERR_TAIL))
            tail = [line for line in errors.read().decode("utf-8", "replace").splitlines()
                    if "ERROR" in line and "dbus" not in line]
            why = tail[-1].split("] ", 1)[-1] if tail else f"exit code {code}"
            raise RenderError(f"chromium rendered nothing: {why}", url=url)
    return out


def _read_capped(process: subprocess.Popen, url: str, deadline: float, timeout: float, max_bytes: int) -> bytes:
    """chromium's output up to its end, within the deadline and the size cap."""
    if process.stdout is None:
        return b""
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RenderError(f"chromium timed out after {timeout:g}s", url=process.args[-1])
            if not selector.select(timeout=left):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > max_bytes:
                raise RenderError(f"the page rendered by chromium is too large (> {max_bytes} bytes)", url=url)
            chunks.append(chunk)


def _wait_unreaped(process: subprocess.Popen, deadline: float, timeout: float) -> None:
    """Wait for chromium to exit without reaping it: its process group id stays its own until it is killed."""
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.02)
    raise RenderError(f"chromium timed out after {timeout:g}s", url=process.args[-1])


def _kill_group(process: subprocess.Popen) -> None:
    """Kill chromium and every helper process it started (renderer, GPU, zygote): its own session.

    Called before chromium is reaped, so the group id cannot have been reused by another process.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    if process.stdout is not None:
        process.stdout.close()
