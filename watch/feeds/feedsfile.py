"""Add sources to the user's feeds.yaml without disturbing a byte of what is already there.

A full ruamel.yaml round-trip dump re-indents mappings, re-wraps multi-line flow lists, re-aligns
comments and drops explicit `null`s, so it cannot promise "your file, unchanged, plus the new
entries". Instead ruamel reads the file to find where the `sources:` list ends and how it is
indented, ruamel renders the new entries (quoting, escaping), and the rendered lines are spliced in
after the last line of the list. The result is written only after `load_config` (the one validator)
accepts it, and atomically (temp file in the same directory, then os.replace).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..config import load_config
from ..dedup import canonical_url
from ..errors import ConfigError
from ..records import Config
from ..text.textsafe import strip_controls

__all__ = ["NewSource", "append_sources", "render_sources"]

_BOM = "\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # YAML 1.2 line breaks: \n, \r\n, \r
_DEFAULT_DASH_COLUMN, _DEFAULT_CONTENT_OFFSET = 2, 2  # "  - name: ...", as README and feeds.yaml show


@dataclass(frozen=True)
class NewSource:
    """A source to add to feeds.yaml."""

    name: str
    url: str
    tags: tuple[str, ...] = ()
    interval: str | None = None
    kind: str = "feed"  # written only when it is not the default
    # Keys written after `kind` (repo, package, project, manifest, dependency), in this order.
    fields: tuple[tuple[str, str], ...] = ()
    write_url: bool = True  # False when a key of `fields` names what the kind reads (its url is derived)


@dataclass(frozen=True)
class _Layout:
    """Where and how new entries go: insert after line `after` (0 = file start), with this indentation."""

    after: int
    dash_column: int
    content_offset: int
    blank_between: bool
    header: str = ""  # "sources:" line to write first, when the file has no such key


def append_sources(path: Path, sources: Sequence[NewSource], *, dry_run: bool = False, comment: str | None = None,
                   new_tags: Sequence[tuple[str, str]] = ()) -> list[int]:
    """Append sources to feeds.yaml, keeping the rest byte for byte; return the new entries' line numbers.

    `comment` is written as a `# ...` line above the new entries; `new_tags` (name, description) are
    appended to the `tags:` list first, in the same one write.
    """
    shown = str(path)
    file = Path(path).expanduser().resolve()  # a symlinked feeds.yaml: replace its target, keep the link
    original = _read_bytes(file, shown)
    bom, text = _decode(original, shown)
    document = _load(text, shown)
    existing = _existing(document)
    _refuse_unsafe(sources, shown)
    _refuse_duplicates(existing, sources, shown)
    if not sources:
        return []
    for name, description in new_tags:
        _refuse_unsafe([NewSource(name=name, url="", fields=(("description", description),))], shown)
        text = _splice_tag(text, document, shown, name, description)
        document = _load(text, shown)
    if comment is not None:
        _refuse_unsafe([NewSource(name=comment, url="")], shown)
    new_text = _splice(text, _layout(text, document, shown), sources, comment)
    with _candidate(file, shown, bom + new_text) as (temp, config):
        lines = _new_lines(config, existing, sources, shown)
        if not dry_run:
            _commit(temp, file, shown, original)
    return lines


def render_sources(sources: Sequence[NewSource], dash_column: int = _DEFAULT_DASH_COLUMN,
                   content_offset: int = _DEFAULT_CONTENT_OFFSET) -> str:
    """The YAML lines of new `sources:` entries, indented as in the list they join."""
    items = CommentedSeq()
    for source in sources:
        item = CommentedMap()
        item["name"] = source.name
        if source.kind != "feed":
            item["kind"] = source.kind
        for key, value in source.fields:
            item[key] = value
        if source.write_url:
            item["url"] = source.url
        if source.tags:
            tags = CommentedSeq(source.tags)
            tags.fa.set_flow_style()  # tags: [llm, agents], as everywhere in feeds.yaml
            item["tags"] = tags
        if source.interval:
            item["interval"] = source.interval
        items.append(item)
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold a long name or URL onto a second line
    yaml.indent(mapping=2, sequence=content_offset, offset=0)
    out = io.StringIO()
    yaml.dump(items, out)
    pad = " " * dash_column
    return "".join(pad + line for line in out.getvalue().splitlines(keepends=True))


# --------------------------------------------------------------------------------------------------
# Reading


def _read_bytes(file: Path, shown: str) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=shown) from exc


def _decode(data: bytes, shown: str) -> tuple[str, str]:
    """(BOM or "", text) with line breaks exactly as in the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 text (byte {exc.start})", path=shown) from exc
    return (_BOM, text[1:]) if text.startswith(_BOM) else ("", text)


def _load(text: str, shown: str) -> Any:
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(f"YAML syntax error: {exc.problem or exc.context}", path=shown,
                          line=mark.line + 1 if mark else None) from exc
    except YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path=shown) from exc
    if not isinstance(document, CommentedMap):
        raise ConfigError("the file must be a mapping with a 'sources:' list", path=shown)
    return document


def _existing(document: CommentedMap) -> list[tuple[str, str, int]]:
    """(name, url, line) of the sources already listed, as written (validity is load_config's business)."""
    sources = document.get("sources")
    if not isinstance(sources, CommentedSeq):
        return []
    found = []
    for index, item in enumerate(sources):
        if isinstance(item, CommentedMap):
            name, url = item.get("name"), item.get("url")
            found.append((str(name).strip() if name is not None else "", str(url).strip() if url is not None
                          else "", sources.lc.item(index)[0] + 1))
    return found


def _refuse_unsafe(sources: Sequence[NewSource], shown: str) -> None:
    """No line break, tab or control character in what is written (names often come from a feed's title)."""
    for source in sources:
        for field, value in (("name", source.name), ("url", source.url), ("interval", source.interval or ""),
                             *(("tags", tag) for tag in source.tags), *source.fields):
            if strip_controls(value, keep_newlines=False) != value:
                raise ConfigError(f"the new source's {field} {value!r} holds a line break or control character",
                                  path=shown, field=field)


def _refuse_duplicates(existing: list[tuple[str, str, int]], sources: Sequence[NewSource], shown: str) -> None:
    names = {name.casefold(): (name, line) for name, _, line in existing if name}
    urls = {canonical_url(url): (name, line) for name, url, line in existing if url}
    for source in sources:
        name_key, url_key = source.name.strip().casefold(), canonical_url(source.url)
        if name_key in names:
            other, line = names[name_key]
            where = f"line {line}" if line else "an entry added just before"
            raise ConfigError(f"a source named {other!r} already exists ({where}; names are compared "
                              f"ignoring case): choose another name", path=shown, line=line or None,
                              field="name")
        if url_key in urls:
            other, line = urls[url_key]
            where = f"line {line}" if line else "added just before"
            raise ConfigError(f"{source.url} is already in the file as {other!r} ({where})", path=shown,
                              line=line or None, field="url")
        names[name_key] = (source.name, 0)
        urls[url_key] = (source.name, 0)


# --------------------------------------------------------------------------------------------------
# Placing the new entries


def _layout(text: str, document: CommentedMap, shown: str) -> _Layout:
    lines = _LINE.findall(text)
    if "sources" not in document:
        return _Layout(after=len(lines), dash_column=_DEFAULT_DASH_COLUMN,
                       content_offset=_DEFAULT_CONTENT_OFFSET, blank_between=False, header="sources:")
    key_line, key_column = document.lc.key("sources")
    sources = document["sources"]
    if sources is None:  # "sources:" with nothing (or only comments) under it
        end = _block_end(lines, key_line, key_column)
        return _Layout(after=end, dash_column=key_column + _DEFAULT_DASH_COLUMN,
                       content_offset=_DEFAULT_CONTENT_OFFSET, blank_between=False)
    if not isinstance(sources, CommentedSeq) or sources.fa.flow_style():
        raise ConfigError("sources is not written as a block list ('- name: ...' items, one per line), "
                          "so entries cannot be appended without rewriting it; change it to that form first",
                          path=shown, line=key_line + 1, field="sources")
    last_line, content_column = sources.lc.item(len(sources) - 1)
    before_content = lines[last_line][:content_column].rstrip()
    if not before_content.endswith("-"):
        raise ConfigError("cannot tell where the last source starts; add the entry by hand",
                          path=shown, line=last_line + 1, field="sources")
    dash_column = len(before_content) - 1
    return _Layout(after=_block_end(lines, last_line, key_column), dash_column=dash_column,
                   content_offset=content_column - dash_column,
                   blank_between=len(sources) > 1 and _blank_before(lines, last_line))


def _block_end(lines: list[str], start: int, key_column: int) -> int:
    """Number of lines up to the last one that still belongs to the block begun at line `start`.

    The block ends at the next line with content at or left of the `sources:` key (the next top-level
    key, `---`, `...`). Comments indented under the list (e.g. a commented-out source) stay inside it;
    comments at the key's column introduce what follows, so new entries go before them.
    """
    end = start + 1
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped:
            continue
        column = len(lines[index]) - len(lines[index].lstrip(" "))
        if column <= key_column and not stripped.startswith("#"):
            break
        if column > key_column:
            end = index + 1
    return end


def _blank_before(lines: list[str], line: int) -> bool:
    """True when the entry at `line` is set off by a blank line (above its own comments, if any)."""
    index = line - 1
    while index >= 0 and lines[index].lstrip().startswith("#"):
        index -= 1
    return index >= 0 and not lines[index].strip()


def _splice(text: str, layout: _Layout, sources: Sequence[NewSource], comment: str | None = None) -> str:
    lines = _LINE.findall(text)
    newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n"
    head, tail = "".join(lines[:layout.after]), "".join(lines[layout.after:])
    if head and not head.endswith(("\n", "\r")):
        head += newline  # the file's last line had no line break
    rendered = render_sources(sources, layout.dash_column, layout.content_offset)
    if layout.blank_between:
        # One blank line before each entry, like the entries already in the list.
        rendered = "".join("\n" + chunk for chunk in _entries(rendered, layout.dash_column))
    if comment is not None:
        blank = "\n" if rendered.startswith("\n") else ""
        rendered = f"{blank}{' ' * layout.dash_column}# {comment}\n{rendered.removeprefix(blank)}"
    if layout.header:
        rendered = ("\n" if head.strip() else "") + layout.header + "\n" + rendered
    return head + rendered.replace("\n", newline) + tail


def _splice_tag(text: str, document: CommentedMap, shown: str, name: str, description: str) -> str:
    """The text with one more entry at the end of the `tags:` list (a `tags:` list made before `sources:`)."""
    lines = _LINE.findall(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    entry = CommentedMap()
    entry["name"], entry["description"] = name, description
    tags = document.get("tags")
    if "tags" not in document or tags is None:
        if "tags" in document:
            key_line, key_column = document.lc.key("tags")
            after, header = _block_end(lines, key_line, key_column), ""
        else:
            key_column = 0
            after = document.lc.key("sources")[0] if "sources" in document else len(lines)
            header = "tags:\n"
        rendered = header + _render([entry], key_column + _DEFAULT_DASH_COLUMN, _DEFAULT_CONTENT_OFFSET)
    elif isinstance(tags, CommentedSeq) and not tags.fa.flow_style() and tags:
        key_column = document.lc.key("tags")[1]
        last_line, content_column = tags.lc.item(len(tags) - 1)
        dash_column = len(lines[last_line][:content_column].rstrip()) - 1
        after = _block_end(lines, last_line, key_column)
        rendered = _render([entry], dash_column, content_column - dash_column)
    else:
        raise ConfigError("tags is not written as a block list ('- name: ...' items), so the tag "
                          f"{name!r} cannot be added without rewriting it; add it by hand", path=shown,
                          line=document.lc.key("tags")[0] + 1, field="tags")
    head, tail = "".join(lines[:after]), "".join(lines[after:])
    if head and not head.endswith(("\n", "\r")):
        head += newline
    return head + rendered.replace("\n", newline) + tail


def _render(items: list[CommentedMap], dash_column: int, content_offset: int) -> str:
    """YAML list entries, indented as in the list they join."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=content_offset, offset=0)
    out = io.StringIO()
    yaml.dump(CommentedSeq(items), out)
    return "".join(" " * dash_column + line for line in out.getvalue().splitlines(keepends=True))


def _entries(rendered: str, dash_column: int) -> list[str]:
    """Split rendered entries at each top-level '- ' line."""
    chunks: list[str] = []
    for line in rendered.splitlines(keepends=True):
        if line[dash_column:dash_column + 1] == "-" and not line[:dash_column].strip():
            chunks.append(line)
        else:
            chunks[-1] += line
    return chunks


# --------------------------------------------------------------------------------------------------
# Validating and writing


@contextlib.contextmanager
def _candidate(file: Path, shown: str, new_text: str) -> Iterator[tuple[Path, Config]]:
    """The new text in a temp file beside the original, and its Config; the temp file is removed after."""
    try:
        handle, temp_name = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write next to the file: {exc.strerror or exc}", path=shown) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(new_text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        try:
            config = load_config(temp)
        except ConfigError as exc:
            raise _renamed(exc, str(temp), shown) from None
        yield temp, config
    except OSError as exc:
        raise ConfigError(f"cannot write the file: {exc.strerror or exc}", path=shown) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _commit(temp: Path, file: Path, shown: str, original: bytes) -> None:
    """Replace the file with the checked temp file, unless someone changed it meanwhile."""
    if _read_bytes(file, shown) != original:
        # Replacing now would silently drop the other edit.
        raise ConfigError("the file changed while the new entries were being prepared; run the "
                          "command again (the file was not changed)", path=shown)
    with contextlib.suppress(OSError):
        shutil.copymode(file, temp)  # mkstemp makes 0600; keep the user's permissions
    os.replace(temp, file)


def _renamed(exc: ConfigError, temp: str, shown: str) -> ConfigError:
    """The same error, naming the user's file instead of the temp file that was checked."""
    message = str(exc).replace(temp, shown)
    error = ConfigError(f"{message}\n(the file was not changed)")
    error.path, error.line, error.field = shown, exc.line, exc.field
    return error


def _new_lines(config: Config, existing: list[tuple[str, str, int]], sources: Sequence[NewSource],
               shown: str) -> list[int]:
    """Line of each new entry, after checking the file now lists exactly the old sources plus the new."""
    expected = [name for name, _, _ in existing] + [s.name.strip() for s in sources]
    listed = [s for s in config.sources if not s.from_stack]  # stack.manifests' sources are not in the file
    if [s.name for s in listed] != expected:
        # A splice in the wrong place can still be valid YAML; never write or report success for it.
        raise ConfigError("the new entries would not land at the end of the sources list; "
                          "add them by hand (the file was not changed)", path=shown)
    return [s.line for s in listed[len(existing):]]
