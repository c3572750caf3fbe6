from django.db import models


class SenderPool(models.Model):
    remote_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    daily_capacity = models.PositiveIntegerField(default=0)
    remaining = models.PositiveIntegerField(default=0)
    sender_count = models.PositiveIntegerField(default=0)
    resets_at = models.DateTimeField(null=True, blank=True, help_text="Known only when Leadterra says.")
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def used_share(self) -> float:
        if not self.daily_capacity:
            return 0.0
        return max(0.0, min(1.0, 1 - self.remaining / self.daily_capacity))


class SenderAccount(models.Model):
    remote_id = models.CharField(max_length=64, unique=True)
    pool = models.ForeignKey(SenderPool, null=True, blank=True, on_delete=models.SET_NULL, related_name="senders")
    email = models.CharField(max_length=320)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=40, help_text="active, paused, warming or any other string, kept as is.")
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]


class PoolSnapshot(models.Model):
    pool = models.ForeignKey(SenderPool, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(db_index=True)
    daily_capacity = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()

    class Meta:
        ordering = ["pool", "taken_at"]
