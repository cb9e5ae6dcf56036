"""The HTML digest in a real headless Chromium: phone and desktop widths, light and dark colour schemes.

Screenshots are kept in tests/artifacts/ for a human to look at; the test checks their size, that they
are not blank, and that the dark-mode stylesheet really darkens the page.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import testkit
from digest_samples import sample_digest

from watch.digest.render import render

ARTIFACTS = testkit.ARTIFACTS
HEIGHT = 1600
SHOTS = {  # name: (window width, extra Chromium flags)
    "phone-light": (414, ()),
    "desktop-light": (1024, ()),
    # --force-dark-mode makes prefers-color-scheme match `dark` (checked: same pixels as
    # --blink-settings=preferredColorScheme=0), without Chromium's automatic darkening of light pages.
    "phone-dark": (414, ("--force-dark-mode",)),
    "desktop-dark": (1024, ("--force-dark-mode",)),
}


def _chromium() -> str:
    found = shutil.which("chromium") or (Path("/usr/bin/chromium").exists() and "/usr/bin/chromium")
    if not found:
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return str(found)


@pytest.fixture(scope="module")
def page() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "digest.html"
    path.write_text(render(sample_digest(), "html"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def screenshots(page: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each screenshot's file and its pixels (decoded once: pure-Python PNG decoding takes a second)."""
    chromium = _chromium()
    shots = {}
    for name, (width, flags) in SHOTS.items():
        png = ARTIFACTS / f"digest-{name}.png"
        png.unlink(missing_ok=True)
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--hide-scrollbars", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                   f"--window-size={width},{HEIGHT}", f"--screenshot={png}", *flags, page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"Chromium took more than 120 s to screenshot {name}")
        assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
        width, height, pixels = _decode_png(png.read_bytes())
        assert (width, height) == (SHOTS[name][0], HEIGHT), (name, width, height)
        shots[name] = (png, pixels)
    return shots


@pytest.mark.parametrize("name", SHOTS)
def test_screenshot_has_the_window_size_and_is_not_blank(screenshots, name, capsys):
    png, pixels = screenshots[name]
    assert struct.unpack(">II", png.read_bytes()[16:24]) == (SHOTS[name][0], HEIGHT)  # IHDR width, height
    assert png.stat().st_size > 30_000
    rgb = pixels[..., :3].astype(np.int32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    assert len(colours) > 200  # text, chips, cards: many colours (a blank page has one)
    with capsys.disabled():
        print(f"\n  screenshot {name}: {png}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_dark_mode_darkens_the_page_and_light_mode_is_light(screenshots, size):
    light = _luminance(screenshots[f"{size}-light"][1])
    dark = _luminance(screenshots[f"{size}-dark"][1])
    assert light > 200, light
    assert dark < 60, dark


def test_the_layout_fits_a_phone_and_centres_on_a_desktop(screenshots):
    # phone: cards use the width, and keep a margin on the right too, at every height: a long word or
    # URL that pushed the layout wider than the screen would leave the right edge without it
    phone = screenshots["phone-light"][1]
    background = phone[HEIGHT - 1, 0]
    for y in range(0, HEIGHT, 40):
        row = phone[y]
        content = np.flatnonzero(np.abs(row.astype(int) - background.astype(int)).sum(axis=1) > 12)
        if content.size:
            assert content.min() >= 4 and content.max() <= 414 - 5, (y, content.min(), content.max())
    row = phone[HEIGHT // 2]
    content = np.flatnonzero(np.abs(row.astype(int) - background.astype(int)).sum(axis=1) > 12)
    assert content.min() <= 16 and content.max() >= 414 - 16
    # desktop: a ~640 px column in the middle, page background either side
    desktop = screenshots["desktop-light"][1]
    row = desktop[HEIGHT // 2]
    background = desktop[HEIGHT // 2, 0]
    content = np.flatnonzero(np.abs(row.astype(int) - background.astype(int)).sum(axis=1) > 12)
    left, right = content.min(), content.max()
    assert 600 <= right - left <= 660, (left, right)
    assert abs((left + right) / 2 - 512) <= 12


def _luminance(pixels: np.ndarray) -> float:
    rgb = pixels[..., :3].astype(float)
    return float((0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]).mean())


def _decode_png(data: bytes) -> tuple[int, int, np.ndarray]:
    """Width, height and pixels (height x width x channels) of an 8-bit, non-interlaced RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert data[12:16] == b"IHDR" and depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    idat, offset = bytearray(), 8
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, 1 + width * channels)
    out = np.zeros((height, width * channels), dtype=np.uint8)
    previous = np.zeros(width * channels, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 1:  # Sub: a running sum along each channel
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            line = (line + previous) % 256
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one decoded just before it
            line = _unfilter_sequential(kind, line, previous, channels)
        out[y] = line
        previous = line.astype(np.int32)
    return width, height, out.reshape(height, width, channels)


def _unfilter_sequential(kind: int, line: np.ndarray, previous: np.ndarray, bpp: int) -> np.ndarray:
    line, up = line.tolist(), previous.tolist()
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 3:
            line[i] = (line[i] + (left + up[i]) // 2) % 256
            continue
        upper_left = up[i - bpp] if i >= bpp else 0
        estimate = left + up[i] - upper_left
        pa, pb, pc = abs(estimate - left), abs(estimate - up[i]), abs(estimate - upper_left)
        predictor = left if pa <= pb and pa <= pc else up[i] if pb <= pc else upper_left
        line[i] = (line[i] + predictor) % 256
    return np.array(line, dtype=np.int32)
