"""Stage 5: a period's items built into a digest, rendered from templates/, published to files and e-mailed."""
