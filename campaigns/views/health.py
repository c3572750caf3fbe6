from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from leadterra_ui.broker import redis_answers


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if settings.CELERY_BROKER_FALLBACK:
        return True  # the filesystem transport is always "reachable"
    return redis_answers(settings.CELERY_BROKER_URL)


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: database and broker reachability, app version."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", "version": settings.APP_VERSION, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
