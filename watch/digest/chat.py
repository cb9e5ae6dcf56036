"""A digest's lead built for chat: top stories, breaking releases, sources in trouble, cut to a channel's limits."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from ..records import ChatLine, ChatMessage, Digest, DigestItem, StackAdvisory
from ..text.textsafe import one_line
from .render import MATTERS_LABEL, item_sources, md_escape, safe_url

LEAD_MAX = 5  # stories in a chat message: the digest's lead (3-5), else its first full stories
RELEASES_MAX = 8
ADVISORIES_MAX = 8
HEALTH_MAX = 8
# A mention (@channel, @everyone, @here, @user) or a Slack control sequence (<!here>, <@U123>) that a feed title
# could carry: a zero-width space after the sign keeps the text readable and pings nobody.
_MENTION = re.compile(r"(?<=@)(?=\w)|(?<=<)(?=[!@#])")
_SCHEME = re.compile(r"(?<=:)(?=//)")  # "https://evil" in a title must not become a bare link
_ZWSP = "\u200b"
MORE = "… and {count} more"
_HTML_BREAK = "<br/>\n"


def defuse(text: str) -> str:
    """Feed text (hostile) on one line, unable to mention anyone or to make a bare link."""
    return _SCHEME.sub(_ZWSP, _MENTION.sub(_ZWSP, one_line(text)))


def md(text: str) -> str:
    """Feed text for a Markdown line: defused, then every Markdown-special character escaped."""
    return md_escape(defuse(text))


def h(text: str) -> str:
    """Feed text for an HTML line: defused, then escaped."""
    return html.escape(defuse(text), quote=True)


def digest_link(public_url: str | None, label: str, suffix: str = ".html", folder: str = "") -> str | None:
    """The address of a period's digest under settings.digest.public_url (`folder`: a profile's sub-folder)."""
    if not public_url:
        return None
    parts = [public_url.rstrip("/"), *([quote(folder, safe="-_.~")] if folder else []),
             quote(label.replace("/", "-"), safe="-_.~") + suffix]
    return safe_url("/".join(parts)) or None


def build_chat(digest: Digest, *, link: str | None = None, lead: int = LEAD_MAX) -> ChatMessage:
    """The chat message of a digest: the advisories hitting a pinned version first, then its lead stories with
    links, releases with breaking changes or security notes (your stack's major ones too), sources needing
    attention, and a link to the full digest (`link`, see digest_link) when given."""
    title = one_line(digest.title) or f"Tech watch {digest.label}"
    lines: list[ChatLine] = []
    count = digest.story_count or digest.item_count
    summary = f"{count} {'story' if count == 1 else 'stories'} from {digest.source_count} " \
              f"source{'s' if digest.source_count != 1 else ''}"
    lines.append(ChatLine("head", summary, md_escape(summary), html.escape(summary)))
    advisories = digest.stack.advisories[:ADVISORIES_MAX]
    if advisories:
        lines.append(_heading("Your stack: security advisories", len(digest.stack.advisories), len(advisories)))
        lines.extend(_advisory(advisory) for advisory in advisories)
    stories = _lead(digest, lead)
    if stories:
        lines.append(_heading("The week's lead"))
        for story in stories:
            lines.append(_story(story))
            if story.matters:
                lines.append(_matters(story.matters))
    noted = [s.release for s in digest.stack.releases] + [r for r in digest.releases if r.note]
    urgent = noted[:RELEASES_MAX]
    if urgent:
        lines.append(_heading("Releases with breaking changes or security fixes", len(noted), len(urgent)))
        for release in urgent:
            name = f"{release.project} {release.version}"
            url = safe_url(release.url)
            note = release.note or (f"new major version (was {release.previous})" if release.previous
                                    else "new major version")
            text = f"- {defuse(name)}: {defuse(note)}" + (f" {url}" if url else "")
            label = f"**{md(name)}**"
            mark = f"[{label}]({url})" if url else label
            markup = f"<a href=\"{html.escape(url)}\"><b>{h(name)}</b></a>" if url else f"<b>{h(name)}</b>"
            lines.append(ChatLine("item", text, f"- {mark}: {md(note)}", f"• {markup}: {h(note)}"))
    health = digest.health[:HEALTH_MAX]
    if health:
        lines.append(_heading("Sources needing attention", len(digest.health), len(health)))
        for line in health:
            what = f"{line.source}: {line.state}" + (f" ({line.cause})" if line.cause else "")
            lines.append(ChatLine("item", f"- {defuse(what)}", f"- {md(what)}", f"• {h(what)}"))
    if not advisories and not stories and not urgent and not health:
        lines.append(ChatLine("item", "Nothing new in this period.", "_Nothing new in this period._",
                              "<i>Nothing new in this period.</i>"))
    url = safe_url(link or "")
    if url:
        lines.append(ChatLine("foot", f"Full digest: {url}", f"[Full digest]({url})",
                              f"<a href=\"{html.escape(url)}\">Full digest</a>"))
    return ChatMessage(title=title, markdown=join(lines, "markdown"), text=join(lines, "text"),
                       html=join(lines, "html"), lines=tuple(lines))


def join(lines: Sequence[ChatLine], fmt: str) -> str:
    """The lines of a message as one body in `fmt` (text, markdown or html)."""
    return (_HTML_BREAK if fmt == "html" else "\n").join(getattr(line, fmt) for line in lines)


def fit(message: ChatMessage, fmt: str, limit: int, *, max_lines: int = 0,
        measure: Callable[[str], int] = len) -> str:
    """The body in `fmt` cut to `limit` characters (as `measure` counts them) by whole lines, from the end,
    with "… and N more" for the items left out; head and foot lines stay. `limit` <= 0: no limit."""
    def fits(body: str) -> bool:
        return (limit <= 0 or measure(body) <= limit) and (max_lines <= 0 or body.count("\n") < max_lines)

    lines = list(message.lines)
    head = [line for line in lines if line.kind == "head"]
    foot = [line for line in lines if line.kind == "foot"]
    middle = [line for line in lines if line.kind not in ("head", "foot")]
    body = join(lines, fmt)
    if fits(body):
        return body
    for tail in (foot, []):  # the link to the full digest goes last, after every item
        for keep in range(len(middle) - 1, -1, -1):
            kept = middle[:keep]
            dropped = sum(1 for line in middle[keep:] if line.kind == "item")
            while kept and kept[-1].kind == "heading":  # a heading whose items are all left out goes with them
                kept.pop()
            body = join([*head, *kept, *([_more(dropped)] if dropped else []), *tail], fmt)
            if fits(body):
                return body
    body = join(head, fmt)
    return body if fits(body) else _cut(body, limit)


def _lead(digest: Digest, count: int) -> list[DigestItem]:
    """The digest's lead stories, else its first full stories in section order."""
    if digest.lead:
        return list(digest.lead[:count])
    return [item for section in digest.sections for item in section.items][:count]


def _heading(text: str, total: int = 0, shown: int = 0) -> ChatLine:
    """A section's heading, with its `total` when it shows only its first lines: "… (60, the first 8 here)"."""
    if total > shown:
        text = f"{text} ({total}, the first {shown} here)"
    return ChatLine("heading", text, f"**{md_escape(text)}**", f"<b>{html.escape(text)}</b>")


def _story(story: DigestItem) -> ChatLine:
    url = safe_url(story.url)
    sources = ", ".join(item_sources(story))
    text = f"- {defuse(story.title)}" + (f" ({defuse(sources)})" if sources else "") + (f" {url}" if url else "")
    title = f"[{md(story.title)}]({url})" if url else md(story.title)
    markup = f"<a href=\"{html.escape(url)}\">{h(story.title)}</a>" if url else h(story.title)
    by_md = f" — {md(sources)}" if sources else ""
    by_html = f" — {h(sources)}" if sources else ""
    return ChatLine("item", text, f"- {title}{by_md}", f"• {markup}{by_html}")


def _matters(line: str) -> ChatLine:
    """A lead story's "why it matters" line (model output about feed text: defused and escaped like it)."""
    return ChatLine("detail", f"  {MATTERS_LABEL} {defuse(line)}", f"  _{md_escape(MATTERS_LABEL)}_ {md(line)}",
                    f"&nbsp;&nbsp;<i>{html.escape(MATTERS_LABEL)}</i> {h(line)}")


def _advisory(advisory: StackAdvisory) -> ChatLine:
    """"- lodash 4.17.20 → 4.17.21: GHSA-... (CVE-...) 7.2 high (CVSS 3.1): summary" with the advisory's link."""
    upgrade = f"upgrade to {advisory.fixed}" if advisory.fixed else "no fixed version yet"
    name = f"{advisory.package} {advisory.pinned}"
    ids = advisory.id + (f" ({', '.join(advisory.aliases)})" if advisory.aliases else "")
    rest = f"{ids}" + (f" · {advisory.severity}" if advisory.severity else "") + \
        (f": {advisory.summary}" if advisory.summary else "")
    url = safe_url(advisory.url)
    text = f"- {defuse(name)} → {defuse(upgrade)} — {defuse(rest)}" + (f" {url}" if url else "")
    label = f"[{md(advisory.id)}]({url})" if url else md(advisory.id)
    tail = md(rest.removeprefix(advisory.id))
    markup = f"<a href=\"{html.escape(url)}\">{h(advisory.id)}</a>" if url else h(advisory.id)
    return ChatLine("item", text, f"- **{md(name)}** → {md(upgrade)} — {label}{tail}",
                    f"• <b>{h(name)}</b> → {h(upgrade)} — {markup}{h(rest.removeprefix(advisory.id))}")


def _more(count: int) -> ChatLine:
    text = MORE.format(count=count)
    return ChatLine("item", text, md_escape(text), html.escape(text))


def _cut(text: str, limit: int) -> str:
    """Last resort for a limit smaller than the head line: cut at a space (the head holds no link)."""
    cut = text[:max(limit - 1, 0)].rsplit(" ", 1)[0]
    return (cut + "…")[:limit] if limit > 0 else ""
