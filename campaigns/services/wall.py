"""Wall tokens: a manager hands a TV a secret URL; revoking it ends that TV's access."""

from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import WallToken
from campaigns.permissions import require


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
