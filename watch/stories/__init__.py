"""Stage 3: items grouped into stories."""
