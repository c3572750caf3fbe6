"""Failed and locked-out sign-ins in the audit trail. Only the username typed and the client
address are kept: Django hands the credentials over already cleansed, and we never read them."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .audit import audit_record


def _client(request) -> str | None:
    from leadterra_ui.throttle import client_ip

    return client_ip(request) if request is not None else None


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=None, action="login.failed", username=username, ip=_client(request))


@receiver(user_locked_out)
def login_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(actor=None, action="login.locked_out", username=str(username or "")[:150], ip=ip_address)
