"""What this machine lets the process use."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPU cores this process may run on (a container or taskset can give fewer than os.cpu_count())."""
    # os.sched_getaffinity exists on Linux only; elsewhere every core counts. (Python 3.13's
    # os.process_cpu_count() does this; the project supports 3.11.)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
