"""Webhook signatures (prefixes, truncations, case) and delivery freshness at the edges."""
