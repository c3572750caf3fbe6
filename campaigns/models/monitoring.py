import secrets

from django.conf import settings
from django.db import models


class StatsSnapshot(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(db_index=True)
    total_enrolled = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    open_rate = models.FloatField(default=0)
    reply_rate = models.FloatField(default=0)

    class Meta:
        ordering = ["campaign", "taken_at"]
        indexes = [models.Index(fields=["campaign", "taken_at"])]


class Reply(models.Model):
    remote_id = models.CharField(max_length=64, unique=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    remote_campaign_id = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=320)
    classification = models.CharField(max_length=40, db_index=True, help_text="Any string Leadterra sends.")
    received_at = models.DateTimeField(db_index=True)
    snippet = models.TextField(blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The desk (services/desk.py): who took it, when it comes back, why it was lost, and the
    # first answer that speed to lead measures. `desk_version` goes up on every desk action, so
    # a form rendered before someone else acted is refused instead of overwriting them.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_replies"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    first_answer_at = models.DateTimeField(null=True, blank=True, db_index=True)
    desk_version = models.PositiveIntegerField(default=0)
    desk_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["classification", "first_answer_at"], name="reply_desk_waiting")]

    @property
    def waiting_since(self):
        """When the lead started waiting: Leadterra's receivedAt, unless that is ahead of when we
        stored it (the sandbox's clock runs faster than ours, and clocks drift)."""
        return min(self.received_at, self.created_at) if self.created_at else self.received_at


class WebhookEvent(models.Model):
    dedupe_key = models.CharField(max_length=200, unique=True)
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set only on a refused delivery (dedupe_key "refused:…"): why it can never apply.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]


class SyncState(models.Model):
    """When a background job last succeeded or failed (pools, stats, replies, heartbeat)."""

    name = models.CharField(max_length=60, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # A lease so that two overlapping beat cycles never run the same job at once (replies).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a holder whose lease ran out must not free its successor's.
    lease_token = models.CharField(max_length=32, blank=True)

    def __str__(self):
        return self.name


def new_wall_token() -> str:
    return secrets.token_urlsafe(24)


class WallToken(models.Model):
    label = models.CharField(max_length=100)
    token = models.CharField(max_length=64, unique=True, default=new_wall_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label
