"""The SDR area: Leadterra's SDRs as last listed, and which dashboard user acts as which SDR."""

from django.conf import settings
from django.db import models


class LeadterraSdr(models.Model):
    """One SDR of `GET /v1/sdrs`, as the last refresh saw it (a page never calls Leadterra)."""

    sdr_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=320, blank=True)
    gmail_connected = models.BooleanField(default=False)
    listed = models.BooleanField(default=True, help_text="False once a refresh no longer lists it.")
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "email"]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.email else self.name or self.sdr_id


class SdrLink(models.Model):
    """A user acts as one Leadterra SDR, with that SDR's personal key (Fernet-encrypted).

    `key_encrypted` is the only place the key lives; `key_last4` is what a page may show."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sdr_link")
    sdr_id = models.CharField(max_length=64)
    sdr_name = models.CharField(max_length=200, blank=True, help_text="As last seen in Leadterra's list.")
    sdr_email = models.CharField(max_length=320, blank=True, help_text="As last seen in Leadterra's list.")
    key_encrypted = models.TextField(blank=True)
    key_last4 = models.CharField(max_length=4, blank=True)
    key_saved_at = models.DateTimeField(null=True, blank=True)
    key_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.user} as {self.sdr_name or self.sdr_id}"

    @property
    def has_key(self) -> bool:
        return bool(self.key_encrypted)


class ReplyHandoff(models.Model):
    """A reply handed to an SDR (`POST /v1/replies/:id/assign`): whose thread it now is."""

    reply = models.OneToOneField("campaigns.Reply", on_delete=models.CASCADE, related_name="handoff")
    sdr_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handoffs")
    sdr_id = models.CharField(max_length=64)
    thread_id = models.CharField(max_length=64, blank=True, db_index=True)
    handoff_id = models.CharField(max_length=64, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
