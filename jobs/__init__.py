"""The scheduled jobs (the client's design card): thin functions over watch, one module each.

APScheduler's SQLite job store names them by text ("jobs:poll"), so that stored jobs survive restarts
and upgrades; jobs/runner.py holds what they share. watch/ never imports this package.
"""

from .digest import digest
from .maintain import maintain
from .poll import poll
from .prune import prune

__all__ = ["digest", "maintain", "poll", "prune"]
