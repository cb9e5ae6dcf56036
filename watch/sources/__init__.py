"""Stage 1: sources polled and parsed into entries (feeds, releases, changelogs) and their refresh policy."""
