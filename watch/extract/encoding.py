"""Feed bytes in the right encoding: what the feed declares wins; an undeclared legacy encoding is detected.

A declared encoding (HTTP Content-Type charset, byte order mark, XML declaration) is authoritative
and left to feedparser. A document that declares none and is not valid UTF-8 (KOI8-R, Shift_JIS,
Big5, Latin-1...) would be read by feedparser's fallback, windows-1252, as mojibake: its encoding is
detected with charset-normalizer instead.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

from charset_normalizer import from_bytes

__all__ = ["declared_encoding", "decode_text", "for_feedparser"]

_BOMS = (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF8, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)
# "<?" in UTF-16/32 without a BOM (XML 1.0 appendix F): the encoding is plain from the bytes.
_WIDE_STARTS = (b"<\x00?\x00", b"\x00<\x00?", b"<\x00\x00\x00", b"\x00\x00\x00<")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml\b[^>]*?\?>")
_DECLARED = re.compile(rb"""\bencoding\s*=\s*["']\s*([A-Za-z][A-Za-z0-9._:-]*)\s*["']""")
# Single-byte Western encodings that charset-normalizer finds as plausible as windows-1252 for Latin
# text (cp1250, cp775...) but that misread French or German letters: è becomes č.
_WESTERN = {"cp1252", "latin_1", "iso8859_15"}
_WESTERN_MARGIN = 0.02  # of charset-normalizer's "chaos" (mess ratio) between its best guess and windows-1252
_UTF8_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def declared_encoding(content: bytes, content_type: str = "") -> str | None:
    """The encoding a document declares: HTTP charset, then byte order mark (or UTF-16/32 shape), then
    its XML declaration; None when it declares none."""
    charset = _http_charset(content_type)
    if charset:
        return charset
    for bom in _BOMS:
        if content.startswith(bom):
            return "utf-8" if bom == codecs.BOM_UTF8 else "utf-16" if len(bom) == 2 else "utf-32"
    if content.startswith(_WIDE_STARTS):
        return "utf-16" if content[:4] in _WIDE_STARTS[:2] else "utf-32"
    declaration = _XML_DECLARATION.match(content[:1024])
    found = _DECLARED.search(declaration.group()) if declaration else None
    return found.group(1).decode("ascii").lower() if found else None


def for_feedparser(content: bytes, content_type: str = "") -> bytes:
    """`content` as feedparser should read it: unchanged when it declares its encoding; else UTF-8 with an
    XML declaration saying so (valid UTF-8 as it is, anything else decoded by detection)."""
    if declared_encoding(content, content_type) is not None:
        return content
    text = _undeclared_text(content)
    if text is None:
        return content
    body = _XML_DECLARATION.sub(b"", text.encode("utf-8"), count=1).lstrip()
    # Without a declaration feedparser would try us-ascii (text/xml) or iso-8859-1 (no Content-Type) first.
    return _UTF8_DECLARATION + body


def decode_text(content: bytes, content_type: str = "") -> str:
    """A non-XML document (JSON) as text: the HTTP charset or BOM when given, else UTF-8, else detected."""
    declared = declared_encoding(content, content_type)
    if declared:
        try:
            return codecs.decode(content, declared).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong label: read it as if none were given
    text = _undeclared_text(content)
    return text if text is not None else content.decode("utf-8", errors="replace")


def _http_charset(content_type: str) -> str | None:
    if "charset" not in content_type.lower():
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_content_charset()
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None  # an unknown label declares nothing usable


def _undeclared_text(content: bytes) -> str | None:
    """The text of bytes that declare no encoding: UTF-8 when valid, else charset-normalizer's guess."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    results = from_bytes(content)
    best = results.best()
    if best is None:
        return None
    for candidate in results:
        if _WESTERN & {candidate.encoding, *candidate.could_be_from_charset} \
                and candidate.chaos <= best.chaos + _WESTERN_MARGIN:
            return str(candidate)
    return str(best)
