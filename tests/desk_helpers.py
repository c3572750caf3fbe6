"""Replies on the desk for tests: interested ones from leads of a campaign, SDRs linked with keys."""

from datetime import timedelta

from django.utils import timezone

from campaigns.models import LeadterraSdr, Reply
from campaigns.services.sdr_keys import sdr_link_save

KEYS = {"sdr": "sk_live_sdr_personal_sdr_111", "sdr2": "sk_live_sdr_personal_sdr2_222"}


def a_reply(n: int = 1, *, minutes_ago: float = 0, classification: str = "interested", campaign=None, **fields):
    """A reply received `minutes_ago` (and stored then too, as a webhook would)."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    reply = Reply.objects.create(
        remote_id=f"rep_{n}",
        email=f"p{n}@prospect.test",
        classification=classification,
        received_at=at,
        campaign=campaign,
        remote_campaign_id=(campaign.remote_id or "") if campaign else "",
        snippet=f"Sounds good, call me ({n})",
        **fields,
    )
    Reply.objects.filter(pk=reply.pk).update(created_at=at)
    reply.refresh_from_db()
    return reply


def link_sdrs(manager, *users):
    """Link each user to a listed Leadterra SDR with a personal key (as a manager would)."""
    now = timezone.now()
    for n, user in enumerate(users, 1):
        listed = {"name": f"{user.username} Name", "email": f"{user}@x.test", "refreshed_at": now}
        LeadterraSdr.objects.get_or_create(sdr_id=f"sdr_{n}", defaults=listed)
        sdr_link_save(user=user, sdr_id=f"sdr_{n}", key=KEYS.get(user.username, f"sk_live_sdr_{n}_key"), actor=manager)
