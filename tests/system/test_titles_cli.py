"""Through the real CLI: titles a feed gives as HTML, or in an undeclared legacy encoding, are shown as text
in every digest format, search, show and export, and in the archive Datasette reads."""

from __future__ import annotations

import html
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from testkit import run_cli, write_config

# One story each: items telling the same story would be merged under the first title.
BODIES = ["Researchers released an open-weights language model with seven billion parameters under the Apache "
          "2.0 licence. It runs on a single GPU and the weights can be downloaded today.",
          "Un hébergeur français baisse le prix de location de ses serveurs GPU pour les entreprises. L'offre "
          "comprend un engagement mensuel et un support en français.",
          "A short essay on comparison operators, undefined behaviour and integer overflow in systems languages, "
          "with examples from compilers and static analysers.",
          "Разработчики опубликовали веса новой модели и подробный отчёт о её обучении на открытых данных."]

HTML_TITLES = ["&lt;b&gt;Nimbus&lt;/b&gt; &amp;amp; friends released",  # escaped markup in RSS
               "Prix : 5 &amp;#8364; par mois pour le GPU",  # an entity left encoded
               "Why a &lt; b matters for C++ &amp; Rust"]  # plain text: must stay as it is
SHOWN = ["Nimbus & friends released", "Prix : 5 € par mois pour le GPU", "Why a < b matters for C++ & Rust"]
RUSSIAN = "Новая открытая языковая модель вышла сегодня"


def _rss(titles: list[str], when: datetime, prefix: str, bodies: list[str]) -> str:
    items = "".join(
        f"<item><guid>{prefix}{n}</guid><link>https://lab.example.org/{prefix}{n}</link><title>{title}</title>"
        f"<pubDate>{format_datetime(when - timedelta(hours=n))}</pubDate>"
        f"<description>{(bodies[n] + ' ') * 3}</description></item>"
        for n, title in enumerate(titles))
    return f"<rss version='2.0'><channel><title>Lab</title>{items}</channel></rss>"


@pytest.mark.model
def test_titles_are_text_everywhere_they_are_shown(tmp_path, server):
    now = datetime.now(UTC)
    server.add("/lab.xml", _rss(HTML_TITLES, now, "lab-", BODIES))
    # KOI8-R bytes, served without a charset and without an XML declaration.
    server.add("/ru.xml", _rss([RUSSIAN], now, "ru-", BODIES[3:]).encode("koi8-r"))
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/lab.xml"), "extract": "never"},
                                   {"name": "RU", "url": server.url("/ru.xml"), "extract": "never"}])
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    shown = [*SHOWN, RUSSIAN]

    db = sqlite3.connect(tmp_path / "watch.db")
    stored = dict(db.execute("SELECT title, title_html FROM items").fetchall())
    assert sorted(stored) == sorted(shown)
    assert stored[SHOWN[0]] == "<b>Nimbus</b> &amp; friends released" and stored[SHOWN[2]] is None
    # What Datasette shows: the tables and views as stored.
    assert sorted(r[0] for r in db.execute("SELECT title FROM items_with_tags")) == sorted(shown)
    db.close()

    for fmt in ("md", "html", "text", "atom"):
        out = tmp_path / f"digest.{fmt}"
        written = run_cli("digest", "--since", "7d", "--format", fmt, "--out", str(out), "--config", str(path),
                          cwd=tmp_path)
        assert written.returncode == 0, written.stderr
        text = out.read_text(encoding="utf-8")
        # What a reader sees: HTML is unescaped once by the browser, an Atom entry's HTML twice by the reader.
        for _ in range({"html": 1, "atom": 2}.get(fmt, 0)):
            text = html.unescape(text)
        for raw in ("<b>Nimbus", "&lt;b&gt;", "&amp;", "&#8364;"):
            assert raw not in text, (fmt, raw)
        assert SHOWN[0] in text.replace("\\&", "&") and "5 € par mois" in text and RUSSIAN in text, fmt

    search = run_cli("search", "Nimbus", "--format", "json", "--config", str(path), cwd=tmp_path)
    assert search.returncode == 0, search.stderr
    assert "Nimbus & friends released" in search.stdout and "<b>" not in search.stdout
    exported = run_cli("export", "--format", "jsonl", "--no-content", "--config", str(path), cwd=tmp_path)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert sorted(r["title"] for r in rows) == sorted(shown)
    item = next(r for r in rows if r["title"] == SHOWN[1])
    show = run_cli("show", item["id"], "--config", str(path), cwd=tmp_path)
    assert show.returncode == 0 and SHOWN[1] in show.stdout and "&#8364;" not in show.stdout
