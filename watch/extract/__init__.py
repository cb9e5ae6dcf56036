"""Stage 2: article text: feed content and article pages to text, language, encoding; the full-text policy."""
