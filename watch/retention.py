"""What the prune job deletes, from `settings.retention`: the cut-off dates, and a sentence saying so."""

from __future__ import annotations

from datetime import datetime, timedelta

from .records import RetentionSettings

__all__ = ["cutoffs", "describe"]


def cutoffs(retention: RetentionSettings, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(items first seen before this are deleted, cached pages fetched before this are deleted); None: keep all."""
    items = now - timedelta(days=retention.items_days) if retention.items_days is not None else None
    pages = now - timedelta(days=retention.pages_days) if retention.pages_days is not None else None
    return items, pages


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def describe(retention: RetentionSettings) -> str:
    """One line on what a prune does, e.g. "keeps every item; deletes cached pages fetched more than 90 days ago..."."""
    keeps: list[str] = []
    deletes: list[str] = []
    if retention.items_days is None:
        keeps.append("every item")
    else:
        deletes.append(f"items first seen more than {_days(retention.items_days)} ago (their ids are remembered, "
                       "so a feed cannot bring them back)")
    if retention.pages_days is None:
        keeps.append("every cached page")
    else:
        deletes.append(f"cached article pages fetched more than {_days(retention.pages_days)} ago")
    deletes.append("document vectors no item uses")
    parts = [f"keeps {' and '.join(keeps)}"] if keeps else []
    listed = f"{', '.join(deletes[:-1])} and {deletes[-1]}" if len(deletes) > 1 else deletes[0]
    parts.append(f"deletes {listed}")
    return "; ".join(parts)
