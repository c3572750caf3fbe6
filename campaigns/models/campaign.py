from django.conf import settings
from django.db import models


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        LAUNCHING = "launching", "Launching"
        LAUNCH_FAILED = "launch_failed", "Launch failed"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    # States in which the sequence exists remotely and can no longer be edited.
    LAUNCHED_STATES = {Status.LAUNCHING, Status.RUNNING, Status.PAUSED}

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Why the campaign is in its state (rejection, void, pause).")
    version = models.PositiveIntegerField(default=0, help_text="Incremented on every content save.")

    # Who sent the current round for review: they may not approve it (four-eyes).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Approval is bound to content: the hash of the version approved. An edit voids it and
    # empties these four; last_approved_version stays, as the base of the review diff.
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    approved_hash = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    last_approved_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version approved last, even if that approval was voided since."
    )

    remote_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    bounce_threshold = models.FloatField(default=0.05, help_text="Pause when bounce rate exceeds this (0–1).")
    bounce_min_delivered = models.PositiveIntegerField(default=50)

    # Last counters from GET /stats (or webhooks), and when they were good.
    total_enrolled = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    open_rate = models.FloatField(default=0)
    reply_rate = models.FloatField(default=0)
    # Webhook deliveries counted (each event once): lower bounds of Leadterra's figures, so the
    # counters above are max(last poll, these) and never overshoot (services/stats.py).
    sent_events = models.PositiveIntegerField(default=0)
    bounced_events = models.PositiveIntegerField(default=0)
    replied_events = models.PositiveIntegerField(default=0, help_text="Leads with a first reply by webhook.")
    stats_polled_at = models.DateTimeField(null=True, blank=True)
    stats_failed_at = models.DateTimeField(null=True, blank=True)
    stats_error = models.TextField(blank=True)
    # Stored, not counted per request: a count over a campaign with 100k leads scans them, and
    # the list shows 50 rows. Kept exact by services/lead_counts.lead_count_refresh, called
    # wherever leads are added or removed.
    lead_count = models.PositiveIntegerField(default=0, help_text="Leads in the campaign (any status).")

    # The poller's schedule and claim (services/stats_claims.py): a campaign is due at
    # `stats_next_poll_at` (empty = now); a worker claims it with a conditional UPDATE that
    # writes its token and a deadline, so overlapping cycles never poll it twice.
    stats_next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stats_claimed_until = models.DateTimeField(null=True, blank=True)
    stats_claim_token = models.CharField(max_length=32, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        permissions = [
            ("review_campaign", "Can approve or reject campaigns"),
            ("launch_campaign", "Can launch, pause and resume campaigns"),
            ("enroll_running", "Can enroll leads into running campaigns"),
            ("manage_suppression", "Can manage the suppression list"),
            ("manage_wall_tokens", "Can create and revoke wall tokens"),
            ("manage_operations", "Can retry or cancel operations"),
            ("manage_integration", "Can register webhooks and refresh pools"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_launched(self) -> bool:
        return self.status in self.LAUNCHED_STATES or self.remote_id is not None

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0


class SequenceStep(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    subject = models.CharField(max_length=500, blank=True)
    body_html = models.TextField(blank=True)
    delay_days = models.PositiveIntegerField(
        default=0, help_text="Days after the previous step; step 1 is sent at start."
    )

    class Meta:
        ordering = ["campaign", "position"]
        indexes = [models.Index(fields=["campaign", "position"])]

    def __str__(self):
        return f"{self.campaign_id}#{self.position}: {self.subject}"


class CampaignVersion(models.Model):
    """A snapshot of a campaign's content at each save, for review diffs."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField(help_text='{"name": ..., "steps": [{"subject", "body_html", "delay_days"}]}')
    content_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "-number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="uniq_campaign_version")]
