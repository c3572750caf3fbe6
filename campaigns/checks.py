"""Deploy checks (`manage.py check --deploy`): no demo doors in production."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def sandbox_outside_debug(app_configs, **kwargs):
    if settings.SANDBOX_ENABLED and not settings.DEBUG:
        return [
            Error(
                "SANDBOX_ENABLED is on while DEBUG is off: /sandbox/v1/* would answer anyone who knows "
                "the public demo key.",
                hint="Unset SANDBOX_ENABLED in production; the simulator is for development and tests.",
                id="leadterra.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def api_key_is_a_test_key(app_configs, **kwargs):
    if not settings.DEBUG and settings.LEADTERRA_API_KEY.startswith("sk_test_"):
        return [
            Warning(
                "LEADTERRA_API_KEY looks like a test key (sk_test_…) while DEBUG is off.",
                hint="Set the workspace's live key (sk_live_…) in production.",
                id="leadterra.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def sdr_key_encryption_key_set(app_configs, **kwargs):
    if not settings.DEBUG and not settings.SDR_KEY_ENCRYPTION_KEY:
        return [
            Error(
                "SDR_KEY_ENCRYPTION_KEY is not set while DEBUG is off: SDRs' personal Leadterra keys "
                "could not be stored or read.",
                hint="Set SDR_KEY_ENCRYPTION_KEY to a long random secret and keep it: changing it makes "
                "the stored SDR keys unreadable.",
                id="leadterra.E002",
            )
        ]
    return []
