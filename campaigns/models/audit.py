from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("The audit trail is append-only.")

    def delete(self):
        raise PermissionDenied("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Append-only record of every state change and sensitive action."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=60, db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} by {self.actor_id} at {self.created_at}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit trail is append-only.")
