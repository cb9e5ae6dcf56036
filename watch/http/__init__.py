"""The network: the HTTP client (conditional GET, limits, retries), robots.txt and the egress policy."""
