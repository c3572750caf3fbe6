from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .permissions import is_manager


def ui(request):
    """What every page's layout needs: role and the live refresh interval.

    The role is lazy: reading it loads the session, the user and their permissions (four
    queries), and the live partials and the wall, which poll every second, never show it."""
    return {
        "is_manager": SimpleLazyObject(lambda: is_manager(request.user) if hasattr(request, "user") else False),
        "live_refresh_seconds": settings.LIVE_REFRESH_SECONDS,
        "app_version": settings.APP_VERSION,
        # The sandbox's calendar runs faster than ours: its schedule times are labelled simulated.
        "simulated_calendar": settings.SANDBOX_ENABLED and "/sandbox" in settings.LEADTERRA_API_BASE,
    }


def leadterra_status(request):
    """For the outage banner in base.html; a callable, so pages that never show it never query."""
    from .services.health import leadterra_outage_shown

    return {"leadterra_outage_since": leadterra_outage_shown}
