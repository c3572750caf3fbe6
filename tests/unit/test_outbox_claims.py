"""The outbox claim: two workers racing for one operation, a lost claim, retries."""
