"""Text any stage may need: HTML to text, titles as text, terminal-safe strings, secrets redacted."""
