"""Write to the append-only audit trail."""

from .models import AuditEvent


def audit_record(*, actor, action: str, campaign=None, **details) -> AuditEvent:
    """Record `action` by `actor` (None for the system) with JSON-serialisable details."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(actor=actor, action=action, campaign=campaign, details=details)
