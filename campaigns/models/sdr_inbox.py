"""An SDR's inbox as Leadterra last showed it: threads, follow-ups, Gmail health, drafts.

A worker fills these from the SDR's own key (`GET /v1/sdr/inbox`, `/sdr/gmail/status`,
`/sdr/followups/due`); the inbox and thread pages render from them and never call Leadterra.
"""

from django.conf import settings
from django.db import models


class SdrInbox(models.Model):
    """One row per SDR user: when their inbox was last refreshed, and their Gmail's health."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sdr_inbox")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When a refresh was last queued.")
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Threads Leadterra counted in the inbox.")
    gmail_connected = models.BooleanField(default=True)
    gmail_email = models.CharField(max_length=320, blank=True)
    gmail_health = models.CharField(max_length=30, blank=True, help_text="Any string Leadterra sends.")
    gmail_error = models.TextField(blank=True)

    NEEDS_REAUTH = ("needs_reauth", "disconnected")

    @property
    def gmail_needs_reauth(self) -> bool:
        return self.gmail_health in self.NEEDS_REAUTH or (bool(self.gmail_health) and not self.gmail_connected)


class SdrThread(models.Model):
    """One thread of `GET /v1/sdr/inbox`; `listed` turns False once a refresh no longer brings it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sdr_threads")
    thread_id = models.CharField(max_length=64, db_index=True)
    contact_email = models.CharField(max_length=320, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=40, blank=True, help_text="Any string Leadterra sends.")
    category = models.CharField(max_length=4, blank=True)
    priority_score = models.FloatField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    listed = models.BooleanField(default=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-priority_score", "-last_message_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "thread_id"], name="uniq_sdr_thread")]


class SdrFollowUp(models.Model):
    """A pending follow-up of `GET /v1/sdr/followups/due`; `is_due` by Leadterra's own clock."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sdr_followups")
    followup_id = models.CharField(max_length=64)
    thread_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=30, default="pending")
    due_at = models.DateTimeField(null=True, blank=True)
    is_due = models.BooleanField(default=False)
    listed = models.BooleanField(default=True)
    operation = models.ForeignKey(
        "campaigns.Operation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "followup_id"], name="uniq_sdr_followup")]


class SdrDraft(models.Model):
    """A drafted answer (`POST /v1/sdr/drafts/generate`) for the SDR `user`, with its insight and
    the SDR's edit. `reply` is the reply the thread was opened for, when we handed it over."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sdr_drafts")
    thread_id = models.CharField(max_length=64, db_index=True)
    reply = models.ForeignKey("campaigns.Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    draft_id = models.CharField(max_length=64, unique=True)
    operation = models.ForeignKey(
        "campaigns.Operation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    subject = models.CharField(max_length=500, blank=True)
    body_text = models.TextField(blank=True)
    approach = models.CharField(max_length=100, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    applied_rules = models.JSONField(default=list, blank=True)
    edited_text = models.TextField(blank=True, help_text="The SDR's edit; empty while unedited.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-operation_id", "position", "id"]  # the latest batch first, in Leadterra's order

    @property
    def text(self) -> str:
        return self.edited_text or self.body_text
