"""Wall tokens: a manager hands a TV a secret URL; revoking it ends that TV's access."""

from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Campaign, WallToken
from campaigns.permissions import require
from campaigns.wording import distinct_percents


def wall_token_create(*, label: str, actor) -> WallToken:
    require(actor, "manage_wall_tokens")
    token = WallToken.objects.create(label=label.strip()[:100], created_by=actor)
    audit_record(actor=actor, action="wall_token.created", label=token.label, token_id=token.pk)
    return token


def wall_token_revoke(*, token: WallToken, actor) -> None:
    require(actor, "manage_wall_tokens")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="wall_token.revoked", label=token.label, token_id=token.pk)


def wall_token_seen(*, token: WallToken) -> None:
    """Note the screen is alive, at most once a minute (the wall polls every few seconds)."""
    now = timezone.now()
    if token.last_seen_at is None or (now - token.last_seen_at).total_seconds() > 60:
        WallToken.objects.filter(pk=token.pk).update(last_seen_at=now)


def wall_pause_reasons(names) -> dict[str, str]:
    """Why each paused campaign on the wall's page is paused, keyed by name, in words a room can
    read from afar: the person who paused it, or the bounce guard's numbers. One query."""
    reasons = {}
    paused = Campaign.objects.filter(status=Campaign.Status.PAUSED, name__in=list(names)).select_related("paused_by")
    for c in paused.only("name", "status_reason", "sent", "bounced", "bounce_threshold", "paused_by"):
        if c.paused_by is not None:
            reasons[c.name] = f"by {c.paused_by.get_full_name() or c.paused_by.get_username()}"
        elif c.status_reason.startswith("Bounce guard"):
            rate, threshold = distinct_percents(c.bounce_rate, c.bounce_threshold)
            reasons[c.name] = f"bounce guard: {rate} > {threshold}"
        else:
            reasons[c.name] = f"by the system: {c.status_reason}" if c.status_reason else "by the system"
    return reasons
