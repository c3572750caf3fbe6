from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, login_audit  # noqa: F401  (deploy checks and sign-in auditing register themselves)
        from .permissions import ensure_roles
        from .services import handlers  # noqa: F401  (the outbox handlers and their hooks register themselves)

        post_migrate.connect(ensure_roles, sender=self)
