"""Stage 1: sources polled and parsed into entries, one module per kind in kinds/, and their refresh policy."""
