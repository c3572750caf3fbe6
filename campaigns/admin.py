from django.contrib import admin

from . import models


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "owner", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(models.Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "campaign", "status", "attempts", "updated_at"]
    list_filter = ["kind", "status"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, also here."""

    list_display = ["created_at", "action", "actor", "campaign"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (models.SenderPool, models.SenderAccount, models.SuppressedEmail, models.WallToken, models.Reply):
    admin.site.register(model)
