import uuid

from django.conf import settings
from django.db import models


class Operation(models.Model):
    """One Leadterra write, recorded in the same transaction as the change that needs it."""

    class Kind(models.TextChoices):
        CREATE_CAMPAIGN = "create_campaign", "Create campaign"
        ENROLL_LEADS = "enroll_leads", "Enroll leads"
        START = "start", "Start"
        PAUSE = "pause", "Pause"
        LAUNCH = "launch", "Launch"
        SUPPRESS = "suppress", "Suppress"
        REGISTER_WEBHOOK = "register_webhook", "Register webhook"
        REFRESH_POOLS = "refresh_pools", "Refresh pools"
        REFRESH_SDRS = "refresh_sdrs", "Refresh SDR list"
        ASSIGN_REPLY = "assign_reply", "Assign reply"
        FOLLOWUP = "followup", "Follow-up action"
        SEND_DRAFT = "send_draft", "Send answer"
        GENERATE_DRAFTS = "generate_drafts", "Write drafts"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        # Final: a call that is not safe to repeat may or may not have reached Leadterra.
        OUTCOME_UNKNOWN = "outcome_unknown", "Outcome unknown — check the thread"

    ACTIVE_STATES = {Status.QUEUED, Status.RUNNING, Status.RETRYING}

    kind = models.CharField(max_length=30, choices=Kind.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="operations"
    )
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0, help_text="Transient failures that were retried.")
    failure_streak = models.PositiveIntegerField(
        default=0, help_text="Transient failures since the last checkpoint; drives the backoff."
    )
    last_error = models.TextField(blank=True)
    progress = models.JSONField(default=dict, blank=True, help_text="Checkpoints, e.g. chunks done.")
    result = models.JSONField(default=dict, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The holder's last sign of life (claim, checkpoint, or its process's heartbeat every few
    # seconds): the sweeper reclaims a running row whose holder went quiet.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATES


class ApiCall(models.Model):
    """The call log: one row per HTTP call to Leadterra (cheap, pruned by beat)."""

    endpoint = models.CharField(max_length=80, help_text="Template, e.g. 'POST /v1/campaigns/:id/start'.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty when no answer came.")
    latency_ms = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
