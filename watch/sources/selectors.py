"""A page source's override selectors: CSS selectors, or XPath when they start with `/` (`./` inside an item)."""

from __future__ import annotations

from functools import lru_cache

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

# An item-relative XPath starts like this; a CSS selector never does ("." alone is the item itself).
XPATH_STARTS = ("/", "(")
RELATIVE_XPATH_STARTS = ("/", "(", "./", "../")


def is_xpath(expression: str, *, relative: bool) -> bool:
    """Whether an override is written in XPath (else it is a CSS selector)."""
    expression = expression.strip()
    return expression.startswith(RELATIVE_XPATH_STARTS if relative else XPATH_STARTS) or \
        (relative and expression in (".", ".."))


@lru_cache(maxsize=256)
def to_xpath(expression: str, *, relative: bool) -> str:
    """The XPath an override stands for: itself, or its CSS translated (inside the item when `relative`)."""
    if is_xpath(expression, relative=relative):
        return expression.strip()
    prefix = "descendant::" if relative else "descendant-or-self::"
    return HTMLTranslator().css_to_xpath(expression.strip(), prefix=prefix)


def selector_problem(expression: str, *, relative: bool) -> str | None:
    """What is wrong with an override (None when it is a valid CSS selector or XPath expression)."""
    if not expression.strip():
        return "is empty: give a CSS selector (e.g. 'article h2') or an XPath expression"
    if is_xpath(expression, relative=relative):
        try:
            etree.XPath(expression.strip())
        except etree.XPathSyntaxError as exc:
            return f"{expression!r} is not a valid XPath expression: {exc}"
        return None
    try:
        xpath = to_xpath(expression, relative=relative)
        etree.XPath(xpath)
    except SelectorError as exc:
        css, xpath = ("h2 a", "./") if relative else ("article.post", "/")
        return (f"{expression!r} is not a valid CSS selector ({exc}); write CSS such as {css!r}, "
                f"or XPath starting with {xpath!r}")
    except etree.XPathSyntaxError as exc:  # pragma: no cover - cssselect writes valid XPath
        return f"{expression!r} gives no valid XPath: {exc}"
    return None
