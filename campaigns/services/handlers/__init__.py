"""Outbox handlers, one per Operation kind (see docs/architecture.md, "The life of an operation").

Each is `fn(op, client) -> dict | None`, registered with @handles, and safe to run again:
it skips what its checkpoints (or the campaign's stored remote id) say is done.
"""

from . import campaign, integration, leads, sdr, sdr_drafts  # noqa: F401  (importing registers them)
