"""The `stats --plot` chart: items per ISO week and the busiest tags, as a PNG (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DeliveryError
from ..records import ArchiveStats


def plot_stats(stats: ArchiveStats, path: Path, top_tags: int = 5) -> Path:
    """Write a PNG: weekly item counts as bars, the `top_tags` busiest tags as lines over the same weeks."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; set before pyplot is imported
    import matplotlib.pyplot as plt

    labels = [w.label for w in stats.weeks]
    figure, axis = plt.subplots(figsize=(10, 5), dpi=100)
    try:
        axis.bar(range(len(labels)), [w.count for w in stats.weeks], color="#c7d2e0", label="all items")
        for row in stats.tags[:top_tags]:
            axis.plot(range(len(labels)), stats.tag_weeks[row.label], marker="o", linewidth=1.8, label=row.label)
        step = max(1, len(labels) // 12)
        axis.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
        axis.set_ylabel("items")
        axis.set_title(f"techwatch: {stats.items} items, by ISO week")
        axis.legend(loc="upper left", fontsize="small")
        axis.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    except OSError as exc:
        raise DeliveryError(f"cannot write the chart {path}: {exc}") from exc
    finally:
        plt.close(figure)
    return path
