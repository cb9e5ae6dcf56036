"""Stage 2: HTML to text, its language and encoding, titles as text."""
