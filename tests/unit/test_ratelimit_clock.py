"""The rate budget measured on a fake clock: bursts, penalties and their expiry, the Redis path."""
