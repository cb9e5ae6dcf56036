"""The chat message of a digest: what it holds, hostile titles made harmless, and each service's limits.

Services are Apprise's real plugins, instantiated from URLs without sending anything: their limits
(body_maxlen, title_maxlen) and their own Markdown dialect conversion are Apprise's, not copies.
"""

from __future__ import annotations

import dataclasses
import re

import apprise
import pytest
from apprise import NotifyFormat
from digest_samples import at, item, sample_digest

from watch.digest.chat import MORE, build_chat, digest_link, fit, join
from watch.digest.notify import body_format, prepared
from watch.records import HealthLine, ReleaseLine

LINK = "https://watch.example.org/digests/2026-W48.html"
HOSTILE = "@everyone <!here> [click me](https://evil.example/x) @channel <@U123> https://evil.example/bare *bold*"

SERVICES = {  # URL forms from Apprise's documentation; nothing is sent to them
    "slack": "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    "discord": "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    "matrix": "matrixs://user:password@matrix.example.org/#techwatch",
    "telegram": "tgram://123456789:AABBccDDeeFFggHHiiJJkkLLmmNNooPPqqRR/-100123456",
    "mattermost": "mmost://mattermost.example.org/3ccdd113474722377935511fc85d3dd4",
    "ntfy": "ntfy://ntfy.sh/techwatch-digest",
    "teams": "workflows://prod-01.westus.logic.azure.com:443/abc123def/0987xyz/?signature=sigsigsig",
    "json": "json://127.0.0.1:9/hook",
    "form": "form://127.0.0.1:9/hook",
}
EXPECTED_FORMAT = {"slack": "markdown", "discord": "markdown", "matrix": "markdown", "telegram": "markdown",
                   "teams": "markdown", "mattermost": "text", "ntfy": "text", "json": "text", "form": "text"}


def plugin(name_or_url: str) -> apprise.plugins.NotifyBase:
    found = apprise.Apprise.instantiate(SERVICES.get(name_or_url, name_or_url))
    assert found is not None, name_or_url
    return found


def hostile_digest():
    digest = sample_digest()
    evil = item(20, HOSTILE, url="https://example.org/articles/20", source="@here <!channel>")
    return dataclasses.replace(digest, lead=(evil, *digest.lead), releases=(
        ReleaseLine("vllm", "0.12.0", at(25), "https://github.com/vllm-project/vllm/releases/tag/v0.12.0", "vLLM",
                    note="breaking: drop Python 3.9 @everyone [x](https://evil.example/r)"),
        ReleaseLine("quiet", "1.0.1", at(25), "https://example.org/quiet", "quiet")))


def big_digest(releases: int = 60):
    """A digest with many breaking releases and sources in trouble: far over every chat limit."""
    digest = sample_digest()
    return dataclasses.replace(
        digest,
        releases=tuple(ReleaseLine(f"project-{n}", f"{n}.0.0", at(25), f"https://example.org/releases/{n}?tab=notes",
                                   "releases", note=f"breaking: remove the deprecated API number {n} and its shims")
                       for n in range(releases)),
        health=tuple(HealthLine(f"Source {n}", "failing", "HTTP 503 Service Unavailable") for n in range(40)))


def test_the_message_holds_the_lead_breaking_releases_health_and_the_full_digest_link():
    digest = hostile_digest()
    message = build_chat(digest, link=LINK)
    assert message.title == "Tech watch — 2026-W48"
    for lead in digest.lead[1:]:
        assert f"]({lead.url})" in message.markdown and lead.url in message.text
        assert f'href="{lead.url}"' in message.html
    assert "[**vllm 0.12.0**](https://github.com/vllm-project/vllm/releases/tag/v0.12.0)" in message.markdown
    assert "quiet" not in message.text  # a release without breaking or security notes is not news for chat
    assert "Anthropic news: failing" in message.text and "Old blog: gone" in message.text
    assert message.markdown.endswith(f"[Full digest]({LINK})") and message.text.endswith(f"Full digest: {LINK}")
    assert "Full digest" not in build_chat(digest).text  # no public_url: no link


def test_without_a_lead_the_first_full_stories_lead():
    digest = dataclasses.replace(sample_digest(), lead=(), releases=(), health=())
    message = build_chat(digest)
    assert [line.kind for line in message.lines].count("item") == 5
    assert "https://example.org/articles/1" in message.text


@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_a_hostile_title_cannot_mention_anyone_or_inject_a_link(fmt):
    body = getattr(build_chat(hostile_digest(), link=LINK), fmt)
    for mention in ("@everyone", "@channel", "@here", "<!here>", "<!channel>", "<@U123>"):
        assert mention not in body, mention
    assert "https://evil.example" not in body  # neither a link target nor a bare link
    if fmt == "markdown":
        targets = re.findall(r"\]\(([^)]*)\)", body)
        assert targets and all(not t.startswith("https://evil") for t in targets)
        assert "\\[click me\\]" in body and "\\*bold\\*" in body
    if fmt == "html":
        assert body.count("<a ") == 6 and "&lt;" in body  # 4 stories, one release, the full digest, no other
        assert 'href="https://evil' not in body


@pytest.mark.parametrize("service", ["slack", "discord", "telegram", "matrix", "teams"])
def test_the_services_own_dialect_keeps_a_hostile_title_inert(service):
    channel = plugin(service)
    fmt = body_format(channel)
    converted = channel.dialect_convert(build_chat(hostile_digest()).markdown, fmt)
    for mention in ("@everyone", "@channel", "<!here>", "<!channel>", "<@U123>"):
        assert mention not in converted, (service, mention, converted)
    assert "<https://evil" not in converted and "(https://evil" not in converted and 'href="https://evil' \
        not in converted


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_gets_a_format_it_renders(service):
    assert body_format(plugin(service)).value == EXPECTED_FORMAT[service]


def test_the_url_format_option_chooses_for_a_generic_webhook():
    assert body_format(plugin("json://127.0.0.1:9/hook?format=markdown")) == NotifyFormat.MARKDOWN


def test_fit_cuts_whole_lines_from_the_end_and_says_how_many_more():
    message = build_chat(big_digest(), link=LINK)
    full = message.markdown.splitlines()
    body = fit(message, "markdown", 1500)
    lines = body.splitlines()
    assert len(body) <= 1500 and len(lines) < len(full)
    more = re.fullmatch(r"… and (\d+) more", lines[-2].replace("\\", ""))
    assert more, lines[-2]
    items = sum(1 for line in message.lines if line.kind == "item")
    assert int(more[1]) == items - sum(1 for line in lines if line.startswith("- "))
    assert lines[-1] == f"[Full digest]({LINK})" and lines[0] == full[0]
    assert all(line in full for line in lines[:-2])  # every kept line whole: no link cut in two
    assert fit(message, "markdown", 0) == message.markdown  # no limit


def test_a_long_section_shows_its_first_lines_and_says_how_many_it_has():
    text = build_chat(big_digest(), link=LINK).text
    assert "Releases with breaking changes or security fixes (60, the first 8 here)" in text
    assert "Sources needing attention (40, the first 8 here)" in text and "Source 8:" not in text


def test_a_heading_whose_items_are_all_cut_goes_with_them():
    message = build_chat(big_digest(), link=LINK)
    body = fit(message, "text", 700)
    assert not body.splitlines()[-3].endswith(("lead", "fixes", "attention"))
    assert MORE.format(count=0) not in body


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_gets_a_message_within_its_limits(service):
    channel = plugin(service)
    message = build_chat(big_digest(), link=LINK)
    title, body, fmt = prepared(channel, message)
    sent = channel.dialect_convert(body, fmt)
    limit = channel.body_maxlen - (len(title) + 2 if channel.title_maxlen <= 0 else 0)
    assert len(sent) <= limit, (service, len(sent), limit)
    assert channel.title_maxlen <= 0 or len(title) <= channel.title_maxlen
    if len(channel.dialect_convert(getattr(message, EXPECTED_FORMAT[service]), fmt)) > limit:
        assert MORE.format(count=0)[:6] in body.replace("\\", "")  # cut: it says what it left out
    assert LINK in body  # the link to the full digest survives the cut
    urls = re.findall(r"https://example\.org/[^\s)\]\"<>|]*", sent)
    assert urls and all(re.fullmatch(r"https://example\.org/(articles/\d+|releases/\d+\?tab=notes)", u)
                        for u in urls), urls


def test_digest_link_under_the_public_url():
    assert digest_link("https://w.example/digests/", "2026-W48") == "https://w.example/digests/2026-W48.html"
    assert digest_link("https://w.example/d", "2026-W48", ".md", "ml-team") == "https://w.example/d/ml-team/2026-W48.md"
    assert digest_link(None, "2026-W48") is None


def test_a_lead_storys_why_it_matters_line_follows_it_inert_and_goes_first_when_cut():
    digest = sample_digest()
    hostile = "It matters to @everyone <!here>: see https://evil.example/x and [this](https://evil.example/y) *now*"
    first, second, *rest = digest.lead
    lead = (dataclasses.replace(first, matters="Its weights are open, so the team can self-host it."),
            dataclasses.replace(second, matters=hostile), *rest)
    message = build_chat(dataclasses.replace(digest, lead=lead))
    kinds = [line.kind for line in message.lines]
    assert kinds.count("detail") == 2
    story = next(n for n, line in enumerate(message.lines) if first.url in line.text)
    assert message.lines[story + 1].text == "  Why it matters (written by the model): Its weights are open, " \
        "so the team can self-host it."
    assert "_Why it matters (written by the model):_ Its weights are open" in message.markdown
    assert "<i>Why it matters (written by the model):</i> Its weights are open" in message.html
    for fmt in ("text", "markdown", "html"):
        body = getattr(message, fmt)
        assert "@everyone" not in body and "<!here>" not in body and "https://evil" not in body, fmt
    assert "\\[this\\]" in message.markdown and "\\*now\\*" in message.markdown
    # Cut to a channel's length: the last story's line goes before any story does, and is not "one more".
    *others, last = digest.lead
    lead_only = dataclasses.replace(digest, lead=(*others, dataclasses.replace(last, matters="It is cheaper.")),
                                    releases=(), health=())
    message = build_chat(lead_only)
    assert message.lines[-1].kind == "detail"
    body = fit(message, "text", len(join(message.lines[:-1], "text")))
    assert all(story.url in body for story in digest.lead) and "It is cheaper" not in body
    assert MORE.format(count=0)[:6] not in body
    one_less = fit(message, "text", len(join(message.lines[:-2], "text")) + 20)
    assert last.url not in one_less and "It is cheaper" not in one_less and MORE.format(count=1) in one_less
