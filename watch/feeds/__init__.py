"""feeds.yaml edited: sources discovered, subscribed, imported and exported as OPML."""
