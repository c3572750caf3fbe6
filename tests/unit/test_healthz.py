import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_version_without_login(client, redis_server, settings):
    settings.CELERY_BROKER_URL = redis_server.url
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": True, "broker": True}
    assert body["version"] == settings.APP_VERSION


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_FALLBACK=False)
def test_healthz_is_503_when_the_broker_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client, settings):
    from django.db import OperationalError, connection

    settings.CELERY_BROKER_FALLBACK = True  # the broker answers: only the database is down

    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "version": settings.APP_VERSION,
        "checks": {"database": False, "broker": True},
    }
    assert "no-cache" in response["Cache-Control"]  # a load balancer must not see a cached "ok"
